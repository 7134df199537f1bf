"""All click code of diagctl, one module per tool; libraries never import this package.

`main` (the console script) answers `health --local` before click is imported
(diag/cli/entry.py); `cli`, the click group, loads on first use.
"""

from __future__ import annotations

from diag.cli.entry import main

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (and re)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["cli", "main"]


def __getattr__(name: str) -> Any:
    if name == "cli":
        from diag.cli.main import cli

        return cli
    raise AttributeError(f"module 'diag.cli' has no attribute {name!r}")
