"""`diagctl health --act`: the act-config file (which findings act, and how hosts are drained)."""

from __future__ import annotations

from pydantic import ConfigDict, Field, field_validator, model_validator

from schemas.envelope import Action, Strict
from schemas.probe import Backend, GroupConfig

# `none` would drain over any failing finding, however mild its policy action: not a level.
ACT_LEVELS = (Action.MONITOR, Action.RESET, Action.REBOOT, Action.ISOLATE)


class ActConfig(Strict):
    """The scheduler side of `health --act` (docs/health.md, "Acting on findings"). The backend,
    breaker and hook fields mean what they mean in a probe targets file's group."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    act_on: Action = Field(
        default=Action.RESET,
        description="Mildest finding action that drains: monitor, reset, reboot or isolate.",
    )
    backend: Backend = Backend.NONE
    fail_threshold: int = Field(default=1, ge=1, description="Failing runs in a row to drain.")
    pass_threshold: int = Field(default=2, ge=1, description="Passing runs in a row to release.")
    max_cordon_fraction: float = Field(default=0.10, ge=0, le=1)
    max_cordon_count: int = Field(default=10, ge=0)
    window_s: float = Field(default=3600, gt=0, description="Blast-radius window.")
    command_cordon: list[str] = Field(default_factory=list)
    command_uncordon: list[str] = Field(default_factory=list)
    kubeconfig: str = ""
    kube_context: str = ""
    slurm_scontrol: str = "scontrol"
    kube_no_execute: bool = Field(
        default=False,
        description="backend kubernetes: also taint NoExecute (evicts pods that lack a "
        "toleration); default NoSchedule only.",
    )

    @field_validator("act_on")
    @classmethod
    def _a_level(cls, v: Action) -> Action:
        if v not in ACT_LEVELS:
            raise ValueError(f"{v.value!r} is not a level: monitor, reset, reboot or isolate")
        return v

    @model_validator(mode="after")
    def _valid_group(self) -> ActConfig:
        self.group()  # e.g. backend command without its argv lists
        return self

    def group(self) -> GroupConfig:
        """The probe group settings the shared plan, breaker and backends read."""
        return GroupConfig(**self.model_dump(exclude={"act_on", "kube_no_execute"}))
