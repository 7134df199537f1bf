"""The payload's NVML capture (JSON written by diag/payload/collector.py) → GpuSnapshot."""

from __future__ import annotations

import json
from typing import Any

from schemas.gpu import FabricState, GpuInfo, GpuSnapshot, NvLinkState


def norm_bdf(bus_id: str) -> str:
    """NVML and nvidia-smi print `00000000:3B:00.0`; sysfs and the kernel log `0000:3b:00.0`."""
    bus_id = bus_id.strip().lower()
    if bus_id.startswith("pci:"):
        bus_id = bus_id[4:]
    parts = bus_id.split(":")
    if len(parts) == 3:
        parts[0] = parts[0][-4:].rjust(4, "0")
    elif len(parts) == 2:
        parts.insert(0, "0000")
    out = ":".join(parts)
    return out if "." in out else out + ".0"


def _flag(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _watts(mw: Any) -> float | None:
    return None if mw is None else round(int(mw) / 1000.0, 2)


FABRIC_STATES: dict[int, FabricState] = {
    0: "not_supported",
    1: "not_started",
    2: "in_progress",
    3: "completed",
}


def _count(value: Any) -> int | None:
    """A counter the payload read is an int; an NVML rc name (not_supported...) is None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _link(raw: dict[str, Any]) -> NvLinkState:
    ctr = raw.get("counters") or {}
    return NvLinkState(
        link=int(raw["link"]),
        active=raw.get("active"),
        replay_errors=_count(ctr.get("replay")),
        recovery_errors=_count(ctr.get("recovery")),
        crc_flit_errors=_count(ctr.get("crc_flit")),
        crc_data_errors=_count(ctr.get("crc_data")),
    )


def _fabric(raw: dict[str, Any]) -> dict[str, Any]:
    fab = raw.get("fabric")
    if not isinstance(fab, dict):
        return {}
    state = FABRIC_STATES.get(fab.get("state"))  # type: ignore[arg-type]
    if state is None:
        raise ValueError(f"unknown NVML fabric state {fab.get('state')!r}")
    return {
        "fabric_state": state,
        "fabric_status": str(fab.get("status", "")),
        "fabric_clique_id": _count(fab.get("clique_id")),
    }


def gpu_from_nvml(raw: dict[str, Any]) -> GpuInfo:
    links = raw.get("nvlink")
    return GpuInfo(
        **_fabric(raw),
        index=int(raw["index"]),
        uuid=raw.get("uuid", ""),
        serial=raw.get("serial", ""),
        bdf=norm_bdf(raw["pci_bus_id"]) if raw.get("pci_bus_id") else "",
        name=raw.get("name", ""),
        vbios=raw.get("vbios", ""),
        temp_c=raw.get("temp_c"),
        temp_slowdown_c=raw.get("temp_slowdown_c"),
        temp_shutdown_c=raw.get("temp_shutdown_c"),
        power_w=_watts(raw.get("power_mw")),
        power_limit_w=_watts(raw.get("power_limit_mw")),
        clock_event_reasons=raw.get("clock_event_reasons"),
        ecc_enabled=_flag(raw.get("ecc_mode_current")),
        ecc_volatile_corrected=raw.get("ecc_volatile_corrected"),
        ecc_volatile_uncorrected=raw.get("ecc_volatile_uncorrected"),
        ecc_aggregate_corrected=raw.get("ecc_aggregate_corrected"),
        ecc_aggregate_uncorrected=raw.get("ecc_aggregate_uncorrected"),
        retired_pages_sbe=raw.get("retired_pages_sbe"),
        retired_pages_dbe=raw.get("retired_pages_dbe"),
        retired_pages_pending=_flag(raw.get("retired_pages_pending")),
        remap_correctable=raw.get("remap_correctable"),
        remap_uncorrectable=raw.get("remap_uncorrectable"),
        remap_pending=_flag(raw.get("remap_pending")),
        remap_failure=_flag(raw.get("remap_failure")),
        pcie_gen_current=raw.get("pcie_gen_current"),
        pcie_gen_max=raw.get("pcie_gen_max"),
        pcie_width_current=raw.get("pcie_width_current"),
        pcie_width_max=raw.get("pcie_width_max"),
        pcie_replay_count=raw.get("pcie_replay_count"),
        nvlink=None if links is None else [_link(x) for x in links],
        persistence_mode=_flag(raw.get("persistence_mode")),
        mig_enabled=_flag(raw.get("mig_mode_current")),
        util_gpu_pct=raw.get("util_gpu_pct"),
        compute_processes=None if raw.get("processes") is None else len(raw["processes"]),
        recovery_action=raw.get("recovery_action"),
        unsupported={str(k): str(v) for k, v in (raw.get("unsupported") or {}).items()},
    )


def cuda_version(encoded: Any) -> str:
    """nvmlSystemGetCudaDriverVersion encodes 12.4 as 12040."""
    if not isinstance(encoded, int) or encoded <= 0:
        return ""
    return f"{encoded // 1000}.{encoded % 1000 // 10}"


def parse_nvml(stdout: str) -> GpuSnapshot:
    doc = json.loads(stdout)
    if not isinstance(doc, dict) or doc.get("backend") != "nvml" or "gpus" not in doc:
        raise ValueError("not an NVML capture document")
    if "device_count_error" in doc:
        raise ValueError(f"nvmlDeviceGetCount failed: {doc['device_count_error']}")
    gpus = [gpu_from_nvml(g) for g in doc["gpus"]]
    return GpuSnapshot(
        backend="nvml",
        driver_version=str(doc.get("driver_version", "")),
        cuda_version=cuda_version(doc.get("cuda_driver_version")),
        device_count=int(doc.get("device_count", len(gpus))),
        gpus=gpus,
    )
