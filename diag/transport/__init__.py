"""Transports: one seam (`run(host, argv, stdin, timeout) -> CommandResult`), several engines."""

from diag.transport.base import CommandResult, ErrorKind, Target, Transport

__all__ = ["CommandResult", "ErrorKind", "Target", "Transport"]
