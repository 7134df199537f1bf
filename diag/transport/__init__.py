"""Transports: one seam (`run(host, argv, stdin, timeout) -> CommandResult`), several engines.

The seam's names load on first use (PEP 562): `--local` imports diag.transport.spawn to start
its payload before anything else, and diag.transport.base imports `typing` and the records.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from diag.transport.base import CommandResult, ErrorKind, Target, Transport

__all__ = ["CommandResult", "ErrorKind", "Target", "Transport"]


def __getattr__(name: str) -> object:
    if name in __all__:
        from diag.transport import base

        return getattr(base, name)
    raise AttributeError(f"module 'diag.transport' has no attribute {name!r}")
