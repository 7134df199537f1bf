"""What a retire run needs: its host and node, the transport, the registry, and with --act
the backend, the audit log and the breaker."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from schemas.lifecycle import EvidencePointer

if TYPE_CHECKING:
    from diag.transport.base import Target, Transport
    from lifecycle.breaker import Breaker
    from lifecycle.registry.store import Registry
    from probes.backends import CordonBackend


@dataclass
class RetireRun:
    target: Target
    node: str
    transport: Transport
    registry: Registry
    reason: str
    act: bool = False
    backend: CordonBackend | None = None
    audit_path: Path | None = None
    breaker: Breaker | None = None
    bundle_out: Path | None = None
    timeout_s: float = 60.0
    who: str = ""
    pointers: list[EvidencePointer] = field(default_factory=list)
