"""`diagctl reset-reason`: the typed `data` of a `reset_reason` envelope, and the reboot-intent
record diagctl writes on a host before it reboots or powers it off."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from schemas.envelope import Envelope, Strict
from schemas.reset_records import (
    BootWindow,
    EvidenceItem,
    Reason,
    SourceState,
    SourceStateName,
    TimelineEntry,
)

# The judged parts are stdlib records (schemas/reset_records.py); re-exported here.
__all__ = [
    "BootWindow",
    "EvidenceItem",
    "Reason",
    "RebootIntent",
    "ResetData",
    "ResetEnvelope",
    "SourceState",
    "SourceStateName",
    "TimelineEntry",
]


class ResetData(Strict):
    reason: Reason = "unknown"
    confidence: float = Field(default=0.0, ge=0.0, le=1.0)
    explanation: str = ""
    boot_id: str = Field(default="", description="The current boot.")
    booted_at: str = ""
    previous_boot: BootWindow | None = None
    evidence: list[EvidenceItem] = Field(default_factory=list)
    evidence_completeness: list[SourceState] = Field(default_factory=list)
    timeline: list[TimelineEntry] = Field(default_factory=list)
    since_s: int = 0
    arch: str = ""
    payload_ms: int = 0


class ResetEnvelope(Envelope):
    """Envelope of kind ``reset_reason`` with its data typed."""

    data: ResetData = Field(default_factory=ResetData)  # type: ignore[assignment]


class RebootIntent(Strict):
    """One line of /var/lib/diagctl/reboot-intents.jsonl on a host: diagctl is about to reboot
    or power off this host. Written before the action; the boot id ties it to the boot it
    ended."""

    schema_version: Literal[1] = 1
    at: str = Field(description="UTC, RFC 3339, when the intent was recorded.")
    action: Literal["reboot", "shutdown"]
    boot_id: str = Field(description="/proc/sys/kernel/random/boot_id of the boot to end.")
    requested_by: str = Field(description="Who asked: user@jumphost or the lifecycle phase.")
    reason: str = ""
    run_id: str = ""
