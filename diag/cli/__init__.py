"""All click code of diagctl, one module per tool; libraries never import this package.

`main` (the console script) answers `health --local` before click is imported
(diag/cli/entry.py); `cli`, the click group, loads on first use.
"""

from typing import Any

from diag.cli.entry import main

__all__ = ["cli", "main"]


def __getattr__(name: str) -> Any:
    if name == "cli":
        from diag.cli.main import cli

        return cli
    raise AttributeError(f"module 'diag.cli' has no attribute {name!r}")
