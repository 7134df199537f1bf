"""What the GPU parsers return: one snapshot of every GPU, whichever backend produced it.

Stdlib dataclasses (schemas/record.py): the checks build these without importing pydantic.

A field that is None was not reported by the driver for this GPU (NVML_ERROR_NOT_SUPPORTED,
nvidia-smi `[N/A]`, a symbol the driver lacks): unsupported, never zero. `unsupported` says why.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from schemas.record import RECORD_CONFIG, Record, field, record

Backend = Literal["nvml", "nvidia-smi-xml", "nvidia-smi-csv"]


FabricState = Literal["not_supported", "not_started", "in_progress", "completed"]


@record(kw_only=True)
class NvLinkState(Record):
    __pydantic_config__: ClassVar[dict[str, Any]] = RECORD_CONFIG

    link: int
    active: bool | None = None
    # nvmlDeviceGetNvLinkErrorCounter, cumulative since the driver loaded; None: not read
    # (inactive link, counter unsupported, or a payload that predates the counters).
    replay_errors: int | None = None
    recovery_errors: int | None = None
    crc_flit_errors: int | None = None
    crc_data_errors: int | None = None


@record(kw_only=True)
class GpuInfo(Record):
    __pydantic_config__: ClassVar[dict[str, Any]] = RECORD_CONFIG

    index: int
    uuid: str = ""
    serial: str = ""
    bdf: str = ""
    """PCI address, normalised: 0000:3b:00.0"""
    name: str = ""
    vbios: str = ""
    temp_c: int | None = None
    temp_slowdown_c: int | None = None
    temp_shutdown_c: int | None = None
    power_w: float | None = None
    power_limit_w: float | None = None
    clock_event_reasons: int | None = None
    """nvmlClocksEventReason bits"""
    ecc_enabled: bool | None = None
    ecc_volatile_corrected: int | None = None
    ecc_volatile_uncorrected: int | None = None
    ecc_aggregate_corrected: int | None = None
    ecc_aggregate_uncorrected: int | None = None
    retired_pages_sbe: int | None = None
    retired_pages_dbe: int | None = None
    retired_pages_pending: bool | None = None
    remap_correctable: int | None = None
    remap_uncorrectable: int | None = None
    remap_pending: bool | None = None
    remap_failure: bool | None = None
    pcie_gen_current: int | None = None
    pcie_gen_max: int | None = None
    pcie_width_current: int | None = None
    pcie_width_max: int | None = None
    pcie_replay_count: int | None = None
    nvlink: list[NvLinkState] | None = None
    persistence_mode: bool | None = None
    mig_enabled: bool | None = None
    util_gpu_pct: int | None = None
    compute_processes: int | None = None
    recovery_action: int | None = None
    """NVML gpu_recovery_action"""
    fabric_state: FabricState | None = None
    """nvmlDeviceGetGpuFabricInfo(V) state; None: not reported"""
    fabric_status: str | None = None
    """its nvmlReturn_t status, as a name: success, not_supported..."""
    fabric_clique_id: int | None = None
    unsupported: dict[str, str] = field(default_factory=dict)

    @property
    def lost(self) -> bool:
        """NVML answered GPU_IS_LOST for some field: the GPU fell off the bus."""
        return "gpu_is_lost" in self.unsupported.values()

    @property
    def label(self) -> str:
        return self.uuid or self.bdf or f"GPU{self.index}"


@record(kw_only=True)
class GpuSnapshot(Record):
    __pydantic_config__: ClassVar[dict[str, Any]] = RECORD_CONFIG

    backend: Backend
    driver_version: str = ""
    cuda_version: str = ""
    """CUDA driver API version, e.g. 12.4"""
    device_count: int = 0
    gpus: list[GpuInfo] = field(default_factory=list)


@record(kw_only=True)
class PciFunction(Record):
    """One NVIDIA PCI function from sysfs, independent of the driver's state."""

    __pydantic_config__: ClassVar[dict[str, Any]] = RECORD_CONFIG

    bdf: str
    class_code: str
    device_id: str
    link_speed_current: str = ""
    link_speed_max: str = ""
    link_width_current: int | None = None
    link_width_max: int | None = None

    @property
    def is_gpu(self) -> bool:
        return self.class_code.startswith("0x03")

    @property
    def is_nvswitch(self) -> bool:
        return self.class_code.startswith("0x0680")


@record(kw_only=True)
class XidEvent(Record):
    __pydantic_config__: ClassVar[dict[str, Any]] = RECORD_CONFIG

    kind: Literal["xid", "sxid"] = "xid"
    code: int
    bdf: str
    at: str = ""
    """Timestamp as logged (ISO when the log had one)."""
    boot: Literal["current", "previous"] = "current"
    message: str = ""
