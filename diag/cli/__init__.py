"""All click code of diagctl, one module per tool; libraries never import this package."""

from diag.cli.main import cli, main

__all__ = ["cli", "main"]
