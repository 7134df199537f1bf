"""The envelope of `diagctl lifecycle record`: kind lifecycle.monitor, one per fed envelope and
monitored asset (docs/lifecycle.md, "monitor: record")."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from schemas.envelope import Envelope, Strict


class MonitorData(Strict):
    source_kind: str = Field(
        description="Kind of the envelope fed in (health.l1, probe.result...)."
    )
    source_sha256: str = Field(description="sha256 of the fed envelope's JSON: the record's key.")
    source_collected_at: str = ""
    actions: list[str] = Field(
        default_factory=list, description="History actions this envelope records (l1, drift...)."
    )
    decision: Literal["dry_run", "recorded", "duplicate"] = Field(
        description="dry_run: no --act; duplicate: this envelope was recorded before."
    )
    phase: str = ""


class MonitorEnvelope(Envelope):
    """Kind lifecycle.monitor: what one fed envelope says about one asset in monitor."""

    data: MonitorData  # type: ignore[assignment]
