"""Typed ``data`` of a health envelope and the run summary written by ``--out``."""

from __future__ import annotations

from pydantic import Field

from schemas.asset import HostInventory
from schemas.envelope import Envelope, Strict


class HostFacts(Strict):
    hostname: str = ""
    kernel: str = ""
    arch: str = ""
    python: str = ""
    cpu_count: int = 0
    boot_id: str = ""
    uptime_s: float = 0.0
    os_pretty_name: str = ""


class CheckRun(Strict):
    check_id: str
    status: str
    duration_ms: int = 0


class HealthData(Strict):
    host_class: str = ""
    payload_mode: str = Field(default="", description="python, sh (reduced checks) or empty.")
    payload_ms: int = 0
    facts: HostFacts = Field(default_factory=HostFacts)
    checks: list[CheckRun] = Field(default_factory=list)
    inventory: HostInventory | None = Field(
        default=None, description="Identity and hardware inventory; null when not collected."
    )


class HealthEnvelope(Envelope):
    """Envelope of kind ``health.l1`` with its data typed."""

    data: HealthData = Field(default_factory=HealthData)  # type: ignore[assignment]


class RunSummary(Strict):
    """``DIR/run.json``: one per ``--out`` run."""

    schema_version: str
    kind: str = "run.summary"
    tool: str = "diagctl"
    tool_version: str
    command: str
    started_at: str
    duration_ms: int
    hosts: int
    by_status: dict[str, int] = Field(default_factory=dict)
    exit_code: int
    interrupted: bool = False
