"""Fleet kernel: inventories and their formats, --limit patterns, the fan-out over targets
(generic over the result type) and the fleet options every SSH-driven tool takes."""
