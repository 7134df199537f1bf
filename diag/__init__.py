"""diagctl: agentless reliability and lifecycle toolkit for GPU inference fleets."""

__version__ = "0.1.0"
