"""The envelope of `diagctl lifecycle maintain`: kind lifecycle.maintain, one per host."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from schemas.envelope import Envelope, Strict

StepName = Literal[
    "cordon", "precheck", "reboot_intent", "command", "return", "postcheck", "probe", "diff",
    "uncordon", "incident",
]  # fmt: skip
StepResult = Literal["planned", "done", "failed", "skipped"]


class MaintainStep(Strict):
    step: StepName
    result: StepResult
    message: str = ""


class FindingChange(Strict):
    """A finding whose status differs between the pre-check and the post-check."""

    check_id: str
    entity: str = ""
    before: str = Field(description="Pre-check status; `absent` when the pre-check lacked it.")
    after: str = Field(description="Post-check status; `absent` when the post-check lacks it.")


class MaintainData(Strict):
    command: str
    reboots: bool = False
    wave: int = Field(ge=0, description="0-based wave this host ran in.")
    node: str = Field(default="", description="The scheduler node cordoned for it.")
    boot_id_before: str = ""
    boot_id_after: str = ""
    steps: list[MaintainStep] = Field(default_factory=list)
    changes: list[FindingChange] = Field(default_factory=list)
    outcome: Literal["planned", "passed", "failed", "not_started"] = "planned"
    phase: str | None = Field(default=None, description="The asset's phase afterwards.")


class MaintainEnvelope(Envelope):
    """Kind lifecycle.maintain: one per host of `diagctl lifecycle maintain`."""

    data: MaintainData  # type: ignore[assignment]


class IncidentData(Strict):
    state: Literal["open", "closed"]
    reason: str = Field(default="", description="Why it was opened.")
    resolution: str = Field(default="", description="How it was closed (e.g. RMA 4471).")
    reset_reason: str = Field(default="", description="reset-reason's verdict, when collected.")
    l1_status: str = Field(default="", description="The L1 run's status, when collected.")
    bundle: str = Field(default="", description="The L2 bundle's path, when one was taken.")
    bundle_sha256: str = ""
    phase: str = Field(description="The asset's phase afterwards.")
    gate_missing: list[str] = Field(default_factory=list)


class IncidentEnvelope(Envelope):
    """Kind lifecycle.incident: one per `lifecycle incident open|close` (a SIEM event)."""

    data: IncidentData  # type: ignore[assignment]


class ProvisionData(Strict):
    host_class: str
    user_data: str = Field(default="", description="Where the rendered user-data was written.")
    user_data_sha256: str = ""
    baseline: dict[str, str] = Field(
        default_factory=dict, description="The snapshot captured (verify) or held to (drift)."
    )
    decision: Literal["rendered", "move", "blocked", "recorded", "drift"] = "rendered"
    gate_missing: list[str] = Field(default_factory=list)
    phase: str = ""


class ProvisionEnvelope(Envelope):
    """Kind lifecycle.provision: one per `lifecycle provision` (render, verify or drift)."""

    data: ProvisionData  # type: ignore[assignment]
