"""Lifecycle documents: the expected manifest (read), the registry's assets and history, and
the envelopes of kinds lifecycle.asset, lifecycle.transition, lifecycle.action and
lifecycle.receive (emitted; the exporters read them like any other envelope)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from schemas.envelope import Envelope, Strict

Text = Annotated[str, Field(min_length=1)]
PhaseName = Literal["receive", "provision", "monitor", "maintain", "incident", "retire"]


class ManifestEntry(Strict):
    """One expected machine of a purchase order. Empty / null fields are not compared."""

    serial: Text = Field(description="System serial (DMI product_serial): the asset's host_id.")
    name: str = Field(default="", description="Inventory name the machine will have, if known.")
    host_class: str = ""
    gpu_count: Annotated[int, Field(ge=0)] | None = None
    gpu_model: str = Field(default="", description="As NVML names it, e.g. NVIDIA H100 80GB HBM3.")
    driver: str = ""
    vbios: str = Field(default="", description="Expected GPU VBIOS (firmware) version.")
    gpu_serials: list[Text] = Field(
        default_factory=list,
        description="Board serials of the machine's GPUs (NVML nvmlDeviceGetSerial), any order;"
        " a CSV cell separates them with ';'. Unique across the whole manifest.",
    )


class Manifest(Strict):
    """`--manifest FILE` in YAML; a CSV file has the ManifestEntry fields as its columns."""

    purchase_order: str = ""
    assets: list[ManifestEntry]


class Inventory(Strict):
    """What a health run saw of a machine's identity and GPUs."""

    host_id_source: str = ""
    hostname: str = ""
    gpu_count: int | None = Field(default=None, description="None: the GPUs were unreadable.")
    gpu_models: list[str] = Field(default_factory=list)
    driver: str = ""
    cuda: str = ""
    vbios: list[str] = Field(default_factory=list)
    gpu_serials: list[str] = Field(
        default_factory=list, description="Per-GPU board serials (data.inventory), by index."
    )
    kernel: str = ""
    os: str = ""


class EvidencePointer(Strict):
    """Where the evidence of a step lives: an envelope file, a bundle, an audit record."""

    kind: Literal["envelope", "bundle", "audit", "output", "note"]
    path: str = Field(default="", description="File path or URL; empty for an inline note.")
    sha256: str = ""
    note: str = ""


class Asset(Strict):
    host_id: Text
    name: str = ""
    host_class: str = ""
    serials: list[str] = Field(default_factory=list, description="System then GPU serials.")
    inventory: Inventory = Field(default_factory=Inventory)
    phase: PhaseName
    version: int = Field(description="Bumped by every change: the optimistic-concurrency check.")
    created_at: str
    updated_at: str


class HistoryEntry(Strict):
    """One append-only row: a transition (from_phase -> to_phase) or an action."""

    id: int
    host_id: str
    entry: Literal["transition", "action"]
    at: str = Field(description="UTC, RFC 3339.")
    who: str = Field(description="user@host pid N of the diagctl process that wrote it.")
    from_phase: PhaseName | None = None
    to_phase: PhaseName | None = None
    action: str = Field(default="", description="For actions: receive, burn_in, note, ...")
    outcome: Literal["pass", "warn", "fail", "unknown"] = "pass"
    reason: str = ""
    forced: bool = False
    missing: list[str] = Field(
        default_factory=list, description="Gate requirements unmet (forced moves)."
    )
    evidence: list[EvidencePointer] = Field(default_factory=list)


class AssetEnvelope(Envelope):
    """Kind lifecycle.asset: one per asset in `diagctl lifecycle status`."""

    data: Asset  # type: ignore[assignment]


class HistoryEnvelope(Envelope):
    """Kinds lifecycle.transition and lifecycle.action: one per history row."""

    data: HistoryEntry  # type: ignore[assignment]


class ReceiveData(Strict):
    manifest_serial: str = Field(default="", description="The manifest entry matched; empty: none.")
    inventory: Inventory = Field(default_factory=Inventory)
    l1_status: str = ""
    burn_in: str = Field(default="", description="The burn-in command, when one was run.")
    burn_in_exit: int | None = None
    gate_missing: list[str] = Field(default_factory=list)
    decision: Literal["move", "blocked", "recorded", "dry_run"] = "dry_run"
    phase: PhaseName | None = Field(default=None, description="The asset's phase afterwards.")


class ReceiveEnvelope(Envelope):
    """Kind lifecycle.receive: one per host of `diagctl lifecycle receive`."""

    data: ReceiveData  # type: ignore[assignment]
