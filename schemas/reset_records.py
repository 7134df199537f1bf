"""The parts of a `reset_reason` envelope the judging code builds: stdlib dataclasses
(schemas/record.py), so `reset-reason --local` judges a host without pydantic; the envelope
model (schemas/reset.py) holds them as fields and validates them like models of its own."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from schemas.record import RECORD_CONFIG, Record, field, record

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


@record(kw_only=True)
class EvidenceItem(Record):
    __pydantic_config__: ClassVar[dict[str, Any]] = RECORD_CONFIG

    source: str
    """Where it was read: journal, kernel, pstore, wtmp, ..."""
    timestamp: str = ""
    """UTC, RFC 3339; empty when undated."""
    excerpt: str
    """The line or record, shortened."""
    supports: str
    """The reason it points to, `context` (dates a boot, no verdict), or `stale` (outside the reset's time window: shown, never used)."""  # noqa: E501
    weight: float = 0.0
    """Its weight in the confidence formula."""


@record(kw_only=True)
class SourceState(Record):
    __pydantic_config__: ClassVar[dict[str, Any]] = RECORD_CONFIG

    source: str
    state: SourceStateName
    reason: str = ""
    """Why it is missing or in error."""


@record(kw_only=True)
class BootWindow(Record):
    __pydantic_config__: ClassVar[dict[str, Any]] = RECORD_CONFIG

    index: int
    """journalctl's boot offset: -1 is the previous boot."""
    boot_id: str
    first_at: str = ""
    last_at: str = ""


@record(kw_only=True)
class TimelineEntry(Record):
    """One reset inside --since: the boot that ended, how, and the GPU faults before it."""

    __pydantic_config__: ClassVar[dict[str, Any]] = RECORD_CONFIG

    boot_id: str
    ended_at: str
    """The ended boot's last journal entry (UTC)."""
    next_boot_at: str = ""
    """When the following boot started."""
    reason: Reason
    confidence: float
    xids: list[int] = field(default_factory=list)
    """Reset-class Xids in that boot."""
    clean: bool | None = None
    """Shutdown markers seen; null when its journal cannot say."""
