"""Model-Unit documents: the calibration file every `diagctl mu` command reads, and the data of
the `mu.report` and `mu.decay` envelopes (docs/model-units.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from schemas.envelope import Envelope, Strict

Method = Literal["sweep", "vllm-bench", "csv", "manual"]


class Provenance(Strict):
    """Where a pair's coefficients came from, so a reviewer can redo the measurement."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    method: Method = "manual"
    who: str = Field(default="", description="user@host of whoever ran the calibration.")
    when: str = Field(default="", description="UTC RFC 3339.")
    engine: str = Field(default="", description="Serving engine, e.g. vllm, llama.cpp.")
    engine_version: str = ""
    endpoint: str = Field(default="", description="Base URL swept (credentials masked).")
    source: str = Field(default="", description="Imported file (vllm bench JSON, CSV).")
    points: int = Field(default=0, ge=0, description="Measurements the fit used.")
    r2_prefill: float | None = None
    r2_decode: float | None = None
    overhead_s: float | None = Field(default=None, description="Fitted per-request intercept.")
    sweep: dict[str, list[int]] = Field(
        default_factory=dict, description="prompt_tokens / output_tokens lengths swept."
    )
    notes: list[str] = Field(default_factory=list)


class ContextFactor(Strict):
    """Long prompts cost more per token (attention grows with context): above
    `threshold_tokens` of input, the whole request's MU is multiplied by `factor`."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    threshold_tokens: int = Field(ge=1)
    factor: float = Field(ge=1.0)


class Pair(Strict):
    """Coefficients of one model on one hardware: MU per token."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    model: str = Field(min_length=1)
    hardware: str = Field(min_length=1)
    a_in: float = Field(ge=0, description="MU per uncached input token (prefill).")
    a_cached: float = Field(ge=0, description="MU per cached input token (prefix-cache hit).")
    a_out: float = Field(ge=0, description="MU per output token (decode).")
    capacity_mu_per_s: float | None = Field(
        default=None, gt=0, description="What one node of this pair delivers, MU per second."
    )
    context: ContextFactor | None = None
    provenance: Provenance = Field(default_factory=Provenance)


class CalibrationFile(Strict):
    """`{reference, pairs: [...]}`; 1 MU is one second of the reference GPU."""

    reference: str = Field(min_length=1, description="The reference GPU/operating point.")
    pairs: list[Pair] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_pairs(self) -> CalibrationFile:
        seen: dict[tuple[str, str], int] = {}
        for i, p in enumerate(self.pairs):
            key = (p.model, p.hardware)
            if key in seen:
                raise ValueError(
                    f"pairs[{i}] repeats {p.model} × {p.hardware} of pairs[{seen[key]}]"
                )
            seen[key] = i
        return self


class Reservation(Strict):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    tenant: str = Field(min_length=1)
    reserved_mu_per_s: float = Field(ge=0)


class ReservationsFile(Strict):
    tenants: list[Reservation] = Field(min_length=1)


class MuGroup(Strict):
    keys: dict[str, str] = Field(description="The --by keys of this group.")
    bucket: str | None = Field(default=None, description="Bucket start, UTC RFC 3339.")
    requests: int
    input_tokens: int = Field(description="Prompt tokens, cached ones included.")
    cached_tokens: int
    output_tokens: int
    mu: float = Field(description="MU of the priced rows; unpriced rows are counted apart.")
    unpriced_requests: int = 0
    capacity_mu: float | None = Field(
        default=None, description="What the group's nodes offered in the window; null: unknown."
    )
    utilisation: float | None = None
    headroom_mu: float | None = None


class UnpricedPair(Strict):
    model: str
    hardware: str
    requests: int
    input_tokens: int
    output_tokens: int


class TenantUsage(Strict):
    tenant: str
    mu: float
    mu_per_s_peak: float | None = Field(default=None, description="Busiest bucket, MU/s.")
    reserved_mu_per_s: float | None = None


class MuReportData(Strict):
    calibration: str
    reference: str
    sources: list[str]
    by: list[str]
    bucket: str | None = None
    window_start: str | None = None
    window_end: str | None = None
    rows_read: int = 0
    rows_counted: int = 0
    duplicates: int = 0
    rejected: dict[str, int] = Field(default_factory=dict, description="Reason -> rows.")
    unpriced: list[UnpricedPair] = Field(default_factory=list)
    groups: list[MuGroup] = Field(default_factory=list)
    tenants: list[TenantUsage] = Field(default_factory=list)


class MuReportEnvelope(Envelope):
    """Envelope of kind ``mu.report``: one per report run."""

    data: MuReportData  # type: ignore[assignment]


class DecayNode(Strict):
    node: str
    model: str
    hardware: str
    samples: int
    measured_mu_per_s: float | None
    calibrated_mu_per_s: float | None
    ratio: float | None


class MuDecayData(Strict):
    calibration: str
    threshold: float
    nodes: list[DecayNode] = Field(default_factory=list)


class MuDecayEnvelope(Envelope):
    """Envelope of kind ``mu.decay``: one per node measured."""

    data: MuDecayData  # type: ignore[assignment]
