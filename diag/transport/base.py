"""The transport seam: run one argv on one host, return data, never raise per host."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

ErrorKind = Literal[
    "timeout",
    "auth",
    "host_key_changed",
    "host_key_unknown",
    "unreachable",
    "transport",
    "become_failed",
]


@dataclass(frozen=True)
class Target:
    """One host as the user named it, plus how to reach it."""

    name: str
    address: str = ""
    port: int = 22
    user: str = ""
    host_class: str = ""
    identity: str = ""
    jump: str = ""
    vars: dict[str, Any] = field(default_factory=dict)

    @property
    def local(self) -> bool:
        return not self.address


@dataclass(frozen=True)
class CommandResult:
    exit_code: int | None
    stdout: bytes = b""
    stderr: bytes = b""
    duration_ms: int = 0
    error: ErrorKind | None = None
    message: str = ""


class Transport(Protocol):
    """Implementations: LocalTransport, ReplayTransport, the SSH transports (diag/transport/)."""

    name: str

    async def run(
        self, host: Target, command: Sequence[str], stdin: bytes, timeout: float
    ) -> CommandResult:
        """Run argv `command` (quoted by the transport, never a raw shell string)."""
        ...

    async def close(self) -> None: ...
