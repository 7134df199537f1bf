"""`diagctl reset-reason`: the typed `data` of a `reset_reason` envelope, and the reboot-intent
record diagctl writes on a host before it reboots or powers it off."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from schemas.envelope import Envelope, Strict

Reason = Literal[
    "planned_reboot",
    "planned_shutdown",
    "kernel_panic",
    "watchdog_reset",
    "hardware_fault",
    "gpu_fault_then_reset",
    "firmware_update",
    "power_loss",
    "unknown",
]
SourceStateName = Literal["ok", "missing", "error"]


class EvidenceItem(Strict):
    source: str = Field(description="Where it was read: journal, kernel, pstore, wtmp, ...")
    timestamp: str = Field(default="", description="UTC, RFC 3339; empty when undated.")
    excerpt: str = Field(description="The line or record, shortened.")
    supports: str = Field(
        description="The reason it points to, `context` (dates a boot, no verdict), or "
        "`stale` (outside the reset's time window: shown, never used)."
    )
    weight: float = Field(default=0.0, description="Its weight in the confidence formula.")


class SourceState(Strict):
    source: str
    state: SourceStateName
    reason: str = Field(default="", description="Why it is missing or in error.")


class BootWindow(Strict):
    index: int = Field(description="journalctl's boot offset: -1 is the previous boot.")
    boot_id: str
    first_at: str = ""
    last_at: str = ""


class TimelineEntry(Strict):
    """One reset inside --since: the boot that ended, how, and the GPU faults before it."""

    boot_id: str
    ended_at: str = Field(description="The ended boot's last journal entry (UTC).")
    next_boot_at: str = Field(default="", description="When the following boot started.")
    reason: Reason
    confidence: float
    xids: list[int] = Field(default_factory=list, description="Reset-class Xids in that boot.")
    clean: bool | None = Field(
        default=None, description="Shutdown markers seen; null when its journal cannot say."
    )


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
