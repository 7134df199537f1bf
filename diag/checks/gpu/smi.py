"""nvidia-smi fallbacks (`--query-gpu` CSV and `-q -x` XML) → GpuSnapshot.

Used only when NVML cannot be loaded by the payload. nvidia-smi prints `[N/A]` or
`[Not Supported]` where a GPU lacks a field: that is None here, never zero.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from diag.checks.gpu.nvml import norm_bdf
from diag.checks.gpu.sources import SMI_FIELDS
from schemas.gpu import GpuInfo, GpuSnapshot

if TYPE_CHECKING:  # the parsers import csv and xml.etree when nvidia-smi is the backend
    import xml.etree.ElementTree as ET

FIELDS = SMI_FIELDS.split(",")
NA = {"", "n/a", "[n/a]", "not supported", "[not supported]", "unknown error", "[unknown error]"}

# nvmlClocksEventReason bits by the name nvidia-smi gives them (nvml.h).
EVENT_BITS = {
    "gpu_idle": 0x1,
    "applications_clocks_setting": 0x2,
    "sw_power_cap": 0x4,
    "hw_slowdown": 0x8,
    "sync_boost": 0x10,
    "sw_thermal_slowdown": 0x20,
    "hw_thermal_slowdown": 0x40,
    "hw_power_brake_slowdown": 0x80,
    "display_clocks_setting": 0x100,
}


def _val(text: str | None) -> str | None:
    if text is None:
        return None
    text = text.strip()
    return None if text.lower() in NA else text


def _num(text: str | None) -> float | None:
    """`40 C`, `77.23 W`, `16x`, `0 %` → the number; [N/A] → None."""
    v = _val(text)
    if v is None:
        return None
    head = v.split()[0].rstrip("x%")
    return float(int(head, 16)) if head.startswith("0x") else float(head)


def _int(text: str | None) -> int | None:
    n = _num(text)
    return None if n is None else int(n)


def _bool(text: str | None) -> bool | None:
    v = _val(text)
    if v is None:
        return None
    low = v.lower()
    if low in ("enabled", "yes", "active", "true", "1"):
        return True
    if low in ("disabled", "no", "not active", "false", "0"):
        return False
    raise ValueError(f"not a yes/no value: {v!r}")


def _csv_gpu(row: dict[str, str]) -> GpuInfo:
    g = GpuInfo(
        index=int(row["index"]),
        uuid=_val(row["uuid"]) or "",
        serial=_val(row["serial"]) or "",
        bdf=norm_bdf(row["pci.bus_id"]),
        name=_val(row["name"]) or "",
        vbios=_val(row["vbios_version"]) or "",
        temp_c=_int(row["temperature.gpu"]),
        power_w=_num(row["power.draw"]),
        power_limit_w=_num(row["power.limit"]),
        clock_event_reasons=_int(row["clocks_throttle_reasons.active"]),
        ecc_enabled=_bool(row["ecc.mode.current"]),
        ecc_volatile_corrected=_int(row["ecc.errors.corrected.volatile.total"]),
        ecc_volatile_uncorrected=_int(row["ecc.errors.uncorrected.volatile.total"]),
        ecc_aggregate_corrected=_int(row["ecc.errors.corrected.aggregate.total"]),
        ecc_aggregate_uncorrected=_int(row["ecc.errors.uncorrected.aggregate.total"]),
        retired_pages_sbe=_int(row["retired_pages.single_bit_ecc.count"]),
        retired_pages_dbe=_int(row["retired_pages.double_bit.count"]),
        retired_pages_pending=_bool(row["retired_pages.pending"]),
        pcie_gen_current=_int(row["pcie.link.gen.current"]),
        pcie_gen_max=_int(row["pcie.link.gen.max"]),
        pcie_width_current=_int(row["pcie.link.width.current"]),
        pcie_width_max=_int(row["pcie.link.width.max"]),
        persistence_mode=_bool(row["persistence_mode"]),
        mig_enabled=_bool(row["mig.mode.current"]),
        util_gpu_pct=_int(row["utilization.gpu"]),
    )
    # The CSV query has no remapped rows, NVLink, thresholds or recovery action at all.
    g.unsupported = {k: "not_in_csv" for k in ("remapped_rows", "nvlink", "temp_thresholds")}
    return g


def parse_csv(stdout: str) -> GpuSnapshot:
    import csv  # a fallback backend, as parse_xml

    rows = [r for r in csv.reader(io.StringIO(stdout), skipinitialspace=True) if r]
    gpus = []
    for r in rows:
        if len(r) != len(FIELDS):
            raise ValueError(f"CSV row has {len(r)} fields, expected {len(FIELDS)}: {r[:3]}")
        gpus.append(_csv_gpu(dict(zip(FIELDS, r, strict=True))))
    if not gpus:
        raise ValueError("nvidia-smi CSV has no GPU rows")
    return GpuSnapshot(
        backend="nvidia-smi-csv",
        driver_version=_val(rows[0][FIELDS.index("driver_version")]) or "",
        device_count=len(gpus),
        gpus=gpus,
    )


def _t(node: ET.Element, path: str) -> str | None:
    found = node.find(path)
    return None if found is None else (found.text or "")


def _ecc(node: ET.Element, scope: str) -> tuple[int | None, int | None]:
    """(corrected, uncorrected) of ecc_errors/<scope>, in the R470+ sram/dram layout or the
    older single_bit/double_bit totals."""
    sec = node.find(f"ecc_errors/{scope}")
    if sec is None:
        return None, None
    if sec.find("single_bit") is not None:
        return _int(_t(sec, "single_bit/total")), _int(_t(sec, "double_bit/total"))
    corr = [_int(c.text) for c in sec if c.tag.endswith("_correctable")]
    unc = [_int(c.text) for c in sec if "_uncorrectable" in c.tag]
    c_ok, u_ok = [x for x in corr if x is not None], [x for x in unc if x is not None]
    return (sum(c_ok) if c_ok else None), (sum(u_ok) if u_ok else None)


def _events(node: ET.Element) -> int | None:
    sec = node.find("clocks_event_reasons")
    if sec is None:
        sec = node.find("clocks_throttle_reasons")
    if sec is None:
        return None
    mask, seen = 0, False
    for child in sec:
        for name, bit in EVENT_BITS.items():
            if child.tag.endswith(name) and _val(child.text) is not None:
                seen = True
                mask |= bit if _bool(child.text) else 0
    return mask if seen else None


RECOVERY = {"none": 0, "reset": 1, "gpu reset": 1, "reboot": 2, "node reboot": 2, "drain p2p": 3}


def _recovery(text: str | None) -> int | None:
    v = _val(text)
    if v is None:
        return None
    low = v.lower()
    return 4 if "drain" in low and "reset" in low else RECOVERY.get(low)


def _xml_fabric(node: ET.Element) -> dict[str, Any]:
    """`<fabric><state>Completed</state><status>Success</status><cliqueId>0</cliqueId>` (R525+;
    older drivers print no <fabric>, and GPUs without one print N/A): NVML's fabric info."""
    state = (_val(_t(node, "fabric/state")) or "").lower().replace(" ", "_")
    if not state:
        return {}
    if state not in ("not_supported", "not_started", "in_progress", "completed"):
        raise ValueError(f"unknown nvidia-smi fabric state {state!r}")
    status = (_val(_t(node, "fabric/status")) or "").lower().replace(" ", "_")
    return {
        "fabric_state": state,
        "fabric_status": status or None,
        "fabric_clique_id": _int(_t(node, "fabric/cliqueId")),
    }


def _xml_gpu(i: int, node: ET.Element) -> GpuInfo:
    link = "pci/pci_gpu_link_info/"
    power = node.find("gpu_power_readings")
    power = node.find("power_readings") if power is None else power
    vc, vu = _ecc(node, "volatile")
    ac, au = _ecc(node, "aggregate")
    procs = node.find("processes")
    return GpuInfo(
        **_xml_fabric(node),
        index=i,  # nvidia-smi lists GPUs in index order
        uuid=_val(_t(node, "uuid")) or "",
        serial=_val(_t(node, "serial")) or "",
        bdf=norm_bdf(node.get("id", "")),
        name=_val(_t(node, "product_name")) or "",
        vbios=_val(_t(node, "vbios_version")) or "",
        temp_c=_int(_t(node, "temperature/gpu_temp")),
        temp_slowdown_c=_int(_t(node, "temperature/gpu_temp_slow_threshold")),
        temp_shutdown_c=_int(_t(node, "temperature/gpu_temp_max_threshold")),
        power_w=None
        if power is None
        else _num(_t(power, "instant_power_draw") or _t(power, "power_draw")),
        power_limit_w=None
        if power is None
        else _num(_t(power, "current_power_limit") or _t(power, "power_limit")),
        clock_event_reasons=_events(node),
        ecc_enabled=_bool(_t(node, "ecc_mode/current_ecc")),
        ecc_volatile_corrected=vc,
        ecc_volatile_uncorrected=vu,
        ecc_aggregate_corrected=ac,
        ecc_aggregate_uncorrected=au,
        retired_pages_sbe=_int(
            _t(node, "retired_pages/multiple_single_bit_retirement/retired_count")
        ),
        retired_pages_dbe=_int(_t(node, "retired_pages/double_bit_retirement/retired_count")),
        retired_pages_pending=_bool(_t(node, "retired_pages/pending_retirement")),
        remap_correctable=_int(_t(node, "remapped_rows/remapped_row_corr")),
        remap_uncorrectable=_int(_t(node, "remapped_rows/remapped_row_unc")),
        remap_pending=_bool(_t(node, "remapped_rows/remapped_row_pending")),
        remap_failure=_bool(_t(node, "remapped_rows/remapped_row_failure")),
        pcie_gen_current=_int(_t(node, link + "pcie_gen/current_link_gen")),
        pcie_gen_max=_int(_t(node, link + "pcie_gen/max_link_gen")),
        pcie_width_current=_int(_t(node, link + "link_widths/current_link_width")),
        pcie_width_max=_int(_t(node, link + "link_widths/max_link_width")),
        pcie_replay_count=_int(_t(node, "pci/replay_counter")),
        persistence_mode=_bool(_t(node, "persistence_mode")),
        mig_enabled=_bool(_t(node, "mig_mode/current_mig")),
        util_gpu_pct=_int(_t(node, "utilization/gpu_util")),
        compute_processes=None if procs is None else len(procs.findall("process_info")),
        recovery_action=_recovery(_t(node, "gpu_recovery_action")),
        unsupported={"nvlink": "not_in_xml"},
    )


def parse_xml(stdout: str) -> GpuSnapshot:
    import xml.etree.ElementTree as ET  # a fallback backend: ~2 ms not paid on NVML hosts

    root = ET.fromstring(stdout)
    if root.tag != "nvidia_smi_log":
        raise ValueError(f"not an nvidia-smi -q -x document (root <{root.tag}>)")
    gpus = [_xml_gpu(i, n) for i, n in enumerate(root.findall("gpu"))]
    return GpuSnapshot(
        backend="nvidia-smi-xml",
        driver_version=_val(_t(root, "driver_version")) or "",
        cuda_version=_val(_t(root, "cuda_version")) or "",
        device_count=_int(_t(root, "attached_gpus")) or len(gpus),
        gpus=gpus,
    )
