"""The transport seam: run one argv on one host, return data, never raise per host."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import Any, Literal, Protocol

from diag.errors import InventoryError
from schemas.record import field, record

ErrorKind = Literal[
    "timeout",
    "auth",
    "host_key_changed",
    "host_key_unknown",
    "unreachable",
    "transport",
    "become_failed",
]


@record(frozen=True)
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


@record(frozen=True)
class CommandResult:
    exit_code: int | None
    stdout: bytes = b""
    stderr: bytes = b""
    duration_ms: int = 0
    error: ErrorKind | None = None
    message: str = ""


def elapsed_ms(t0: float) -> int:
    """Whole milliseconds since `t0`, a `time.monotonic()` reading."""
    return int((time.monotonic() - t0) * 1000)


def failed(t0: float, error: ErrorKind, message: str) -> CommandResult:
    """A run that gave no exit status: what went wrong, and how long it took to find out."""
    return CommandResult(None, duration_ms=elapsed_ms(t0), error=error, message=message)


class Transport(Protocol):
    """Implementations: LocalTransport, ReplayTransport, the SSH transports (diag/transport/)."""

    name: str

    async def run(
        self, host: Target, command: Sequence[str], stdin: bytes, timeout: float
    ) -> CommandResult:
        """Run argv `command` (quoted by the transport, never a raw shell string)."""
        ...

    async def close(self) -> None: ...


_ENTRY = re.compile(
    r"^(?:(?P<user>[^@\s]+)@)?(?P<host>\[[^\]]+\]|[^:@\s\[\]]+)(?::(?P<port>\d+))?$"
)


def parse_entry(entry: str) -> tuple[str, str, int | None]:
    """`[user@]host[:port]` -> (user, host, port); IPv6 needs brackets when a port follows."""
    entry = entry.strip()
    if entry.count(":") > 1 and not entry.startswith("[") and "@[" not in entry:
        user, _, rest = entry.rpartition("@")
        return user, rest, None  # bare IPv6 address, no port
    m = _ENTRY.match(entry)
    if not m:
        raise InventoryError(f"bad host entry {entry!r}: expected [user@]host[:port]")
    host = m["host"].strip("[]")
    port = int(m["port"]) if m["port"] else None
    if port is not None and not 0 < port < 65536:
        raise InventoryError(f"bad host entry {entry!r}: port out of range")
    return m["user"] or "", host, port
