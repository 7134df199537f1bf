"""What one probe round is given (RunOptions) and what it returns (RoundResult)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from diag.transport.base import Transport
from probes import backends
from schemas.probe import AuditEnvelope, GroupConfig, ProbeEnvelope


@dataclass
class RunOptions:
    state_path: Path
    audit_path: Path
    act: bool = False
    prom_path: Path | None = None
    lock_wait_s: float = 30.0
    concurrency: int = 256
    # Restarts: a transport per group (the SSH one in the CLI); None: restart fails, cordon.
    transport_factory: Callable[[GroupConfig], Transport | None] = lambda cfg: None
    backend_factory: Callable[..., backends.CordonBackend] = backends.make


@dataclass
class RoundResult:
    probes: list[ProbeEnvelope] = field(default_factory=list)
    audits: list[AuditEnvelope] = field(default_factory=list)
    breaker_tripped: bool = False
    action_failed: bool = False
    duration_ms: int = 0
    warnings: list[str] = field(default_factory=list)  # e.g. a clock jump in the state file
    output_errors: list[str] = field(default_factory=list)  # one line per file not written
