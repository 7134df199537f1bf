"""Model-Unit accounting: what a request costs the GPU (docs/model-units.md)."""
