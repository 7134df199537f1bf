"""The arguments of a maintenance run and what every step needs (transport, backend, registry)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from diag import redact
from diag.exitcodes import ExitPolicy
from diag.hostcheck import HealthOptions
from diag.transport.base import Transport
from lifecycle import maintenance as mt
from probes.backends import CordonBackend

if TYPE_CHECKING:
    from lifecycle.breaker import Breaker
    from lifecycle.probe_step import ProbeSpec
    from lifecycle.registry.store import Registry


@dataclass(frozen=True)
class MaintainArgs:
    command: str
    reboots: bool = False
    max_in_flight: int = 1
    window: mt.Window | None = None
    act: bool = False
    reason: str = "maintenance"
    command_timeout_s: float = 1800.0
    return_timeout_s: float = 900.0
    poll_s: float = 2.0
    exits: ExitPolicy = field(default_factory=ExitPolicy)

    @property
    def shown_command(self) -> str:
        """The command as every record and envelope shows it: credentials masked."""
        return redact.text(self.command)


@dataclass
class Context:
    args: MaintainArgs
    transport: Transport
    health: HealthOptions
    backend: CordonBackend
    audit_path: Path
    nodes: dict[str, str]
    registry: Registry | None = None
    breaker: Breaker | None = None  # with --act: every wave's drains pass it first
    clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)
    probe: ProbeSpec | None = None  # --probe-*: one token probe after the post-check
