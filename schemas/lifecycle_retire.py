"""The envelope of `diagctl lifecycle retire` run against a host: kind lifecycle.retire, with the
drain, the final bundle and, per disk, what sanitisation the device itself says it supports."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from schemas.envelope import Envelope, Strict

Method = Literal[
    "crypto-erase", "block-erase", "overwrite", "nvme-format", "ata-secure-erase", "destroyed"
]
Transport = Literal["nvme", "sata", "unknown"]
Source = Literal["nvme id-ctrl", "sysfs", "hdparm -I", "none"]


class EraseDevice(Strict):
    """One disk: what its controller says about sanitisation, read-only. `methods_supported`
    empty with `unknown` reasons means the source could not say, not that nothing works."""

    device: str = Field(description="Kernel name: nvme0, sda.")
    transport: Transport
    model: str = ""
    serial: str = Field(default="", description="The drive's serial (inventory, not a secret).")
    methods_supported: list[Method] = Field(default_factory=list)
    frozen: bool | None = Field(
        default=None, description="ATA security frozen (erase refused until a power cycle)."
    )
    locked: bool | None = None
    source: Source = "none"
    unknown: list[str] = Field(
        default_factory=list, description="What the source could not tell, and why."
    )


StepName = Literal["drain", "retire", "bundle", "detect", "attest"]
StepResult = Literal["planned", "done", "failed", "skipped"]


class RetireStep(Strict):
    step: StepName
    result: StepResult
    message: str = ""


class RetireData(Strict):
    node: str = Field(default="", description="The scheduler node drained for it.")
    steps: list[RetireStep] = Field(default_factory=list)
    bundle: str = Field(default="", description="The final L2 bundle's path.")
    bundle_sha256: str = ""
    devices: list[EraseDevice] = Field(default_factory=list)
    outcome: Literal["planned", "retired", "failed", "breaker"] = "planned"
    phase: str | None = Field(default=None, description="The asset's phase afterwards.")


class RetireEnvelope(Envelope):
    """Kind lifecycle.retire: one per `diagctl lifecycle retire HOST -H/-i` run."""

    data: RetireData  # type: ignore[assignment]
