"""Per-GPU verdicts: memory (ECC, row remapping, page retirement), PCIe, NVLink, throttling."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from diag.checks import gpu_sources
from diag.checks.base import SEVERITY_OF, Check, Context, Rules, unknown
from diag.checks.gpu_state import facts_uptime_s, per_gpu_or
from schemas.envelope import Action, Finding, Status
from schemas.gpu import GpuInfo
from schemas.payload import Capture

Part = tuple[Status, Action, str]
ACTION_ORDER = list(Action)
STATUS_ORDER = [Status.PASS, Status.UNKNOWN, Status.WARN, Status.FAIL]


def gpu_finding(
    check_id: str, g: GpuInfo, parts: list[Part], observed: dict[str, Any], rules: Rules, ok: str
) -> Finding:
    """One finding per GPU: the worst status and the highest rung of the action ladder."""
    bad = [p for p in parts if p[0] is not Status.PASS]
    status = max((p[0] for p in bad), key=STATUS_ORDER.index, default=Status.PASS)
    action = max((p[1] for p in bad), key=ACTION_ORDER.index, default=Action.NONE)
    msg = "; ".join(p[2] for p in bad) if bad else ok
    return Finding(
        check_id=check_id,
        status=status,
        severity=SEVERITY_OF[status],
        entity=g.label,
        observed={"index": g.index, "bdf": g.bdf, **observed},
        threshold=dict(rules.thresholds),
        threshold_source=rules.source,
        message=f"GPU{g.index}: {msg}",
        action=action,
    )


# -- memory --------------------------------------------------------------------------------
ID_MEMORY = "gpu.memory"


def memory_parts(g: GpuInfo, rules: Rules) -> list[Part]:
    parts: list[Part] = []
    if g.lost:
        parts.append((Status.FAIL, Action.REBOOT, "NVML reports the GPU lost (fallen off the bus)"))
    if g.remap_failure:
        parts.append((Status.FAIL, Action.ISOLATE, "row remapping failed: no spare rows left"))
    retired = (g.retired_pages_sbe or 0) + (g.retired_pages_dbe or 0)
    if retired >= rules["isolate_retired_pages"]:
        parts.append((Status.FAIL, Action.ISOLATE, f"{retired} retired pages"))
    if g.remap_pending:
        parts.append((Status.FAIL, Action.RESET, "row remap pending: reset the GPU to apply it"))
    if g.retired_pages_pending:
        parts.append((Status.FAIL, Action.RESET, "page retirement pending: reset to apply it"))
    if g.ecc_volatile_uncorrected:
        parts.append(
            (Status.FAIL, Action.RESET, f"{g.ecc_volatile_uncorrected} uncorrectable ECC errors")
        )
    if g.ecc_aggregate_uncorrected and not g.ecc_volatile_uncorrected:
        status = Status.FAIL if rules["aggregate_uncorrectable_is_fail"] else Status.WARN
        parts.append(
            (status, Action.MONITOR, f"{g.ecc_aggregate_uncorrected} lifetime uncorrectable ECC")
        )
    if g.ecc_enabled is False:
        parts.append((Status.WARN, Action.MONITOR, "ECC is disabled"))
    if (g.ecc_volatile_corrected or 0) >= rules["warn_volatile_corrected"]:
        parts.append((Status.WARN, Action.MONITOR, f"{g.ecc_volatile_corrected} corrected ECC"))
    known = (g.ecc_volatile_uncorrected, g.remap_pending, g.retired_pages_pending)
    if not parts and all(v is None for v in known):
        parts.append((Status.UNKNOWN, Action.MONITOR, "driver reports no ECC/remap/retirement"))
    return parts


def evaluate_memory(caps: Mapping[str, Capture], rules: Rules, ctx: Context) -> list[Finding]:
    view, instead = per_gpu_or(ID_MEMORY, caps, rules, ctx.memo)
    out = list(instead)
    for g in view.gpus:
        obs = {
            k: getattr(g, k)
            for k in (
                "ecc_volatile_uncorrected",
                "ecc_aggregate_uncorrected",
                "ecc_volatile_corrected",
                "remap_pending",
                "remap_failure",
                "remap_uncorrectable",
                "retired_pages_sbe",
                "retired_pages_dbe",
                "retired_pages_pending",
            )
        }
        parts = memory_parts(g, rules)
        out.append(gpu_finding(ID_MEMORY, g, parts, obs, rules, "memory healthy"))
    return out


# -- PCIe ----------------------------------------------------------------------------------
ID_PCIE = "gpu.pcie"


def busy(g: GpuInfo, rules: Rules) -> bool | None:
    """Busy GPUs keep their link trained up; idle ones down-train to save power by design."""
    if g.util_gpu_pct is None and g.compute_processes is None:
        return None
    return (g.util_gpu_pct or 0) >= rules["busy_util_pct"] or bool(g.compute_processes)


def pcie_parts(g: GpuInfo, rules: Rules, uptime_s: float) -> list[Part]:
    parts: list[Part] = []
    down = []
    if g.pcie_gen_current is not None and g.pcie_gen_max and g.pcie_gen_current < g.pcie_gen_max:
        down.append(f"gen {g.pcie_gen_current}/{g.pcie_gen_max}")
    w, wmax = g.pcie_width_current, g.pcie_width_max
    if w is not None and wmax and w < wmax:
        down.append(f"width x{w}/x{wmax}")
    if down:
        state = busy(g, rules)
        if state:
            parts.append(
                (Status.WARN, Action.MONITOR, "link below max while busy: " + ", ".join(down))
            )
        elif state is None:
            parts.append((Status.UNKNOWN, Action.MONITOR, "link below max, load unknown"))
    if g.pcie_replay_count is not None and uptime_s > 0:
        gen = str(g.pcie_gen_max or g.pcie_gen_current or 0)
        limit = rules["warn_replays_per_min_by_gen"].get(gen, rules["warn_replays_per_min"])
        rate = g.pcie_replay_count / (uptime_s / 60.0)
        if rate >= limit:
            parts.append(
                (
                    Status.WARN,
                    Action.MONITOR,
                    f"{rate:.1f} PCIe replays/min (gen {gen} limit {limit})",
                )
            )
    if g.pcie_gen_current is None and g.pcie_width_current is None:
        parts.append((Status.UNKNOWN, Action.MONITOR, "PCIe link state unsupported"))
    return parts


def evaluate_pcie(caps: Mapping[str, Capture], rules: Rules, ctx: Context) -> list[Finding]:
    view, instead = per_gpu_or(ID_PCIE, caps, rules, ctx.memo)
    uptime = facts_uptime_s(caps)
    out = list(instead)
    for g in view.gpus:
        obs = {
            "gen": [g.pcie_gen_current, g.pcie_gen_max],
            "width": [g.pcie_width_current, g.pcie_width_max],
            "replays": g.pcie_replay_count,
            "busy": busy(g, rules),
            "util_gpu_pct": g.util_gpu_pct,
        }
        ok = f"PCIe gen {g.pcie_gen_current} x{g.pcie_width_current}"
        if busy(g, rules) is False and g.pcie_gen_current != g.pcie_gen_max:
            ok += " (idle: a down-trained link is power saving)"
        out.append(gpu_finding(ID_PCIE, g, pcie_parts(g, rules, uptime), obs, rules, ok))
    return out


# -- NVLink --------------------------------------------------------------------------------
ID_NVLINK = "gpu.nvlink"


def evaluate_nvlink(caps: Mapping[str, Capture], rules: Rules, ctx: Context) -> list[Finding]:
    view, instead = per_gpu_or(ID_NVLINK, caps, rules, ctx.memo)
    out = list(instead)
    fabric = bool(view.nvswitches)
    for g in view.gpus:
        links = g.nvlink
        want = int(rules["expected_active_links"])
        if links is None:
            why = g.unsupported.get("nvlink", "not reported")
            if want > 0 or fabric:
                out.append(unknown(ID_NVLINK, f"GPU{g.index}: NVLink state {why}", rules, g.label))
            else:
                parts: list[Part] = []
                out.append(
                    gpu_finding(ID_NVLINK, g, parts, {"nvlink": why}, rules, f"no NVLink ({why})")
                )
            continue
        active = [x.link for x in links if x.active]
        inactive = [x.link for x in links if x.active is False]
        expected = want if want >= 0 else (len(links) if active or fabric else 0)
        parts = []
        if len(active) < expected:
            parts.append(
                (
                    Status.FAIL,
                    Action.RESET,
                    f"{len(active)}/{expected} NVLinks active; down: {inactive}",
                )
            )
        obs = {"active": active, "inactive": inactive, "expected_active": expected}
        out.append(gpu_finding(ID_NVLINK, g, parts, obs, rules, f"{len(active)} NVLinks active"))
    return out


# -- throttling and temperature ------------------------------------------------------------
ID_THERMAL = "gpu.throttle"
EVENT_NAMES = {
    0x1: "gpu_idle",
    0x2: "applications_clocks_setting",
    0x4: "sw_power_cap",
    0x8: "hw_slowdown",
    0x10: "sync_boost",
    0x20: "sw_thermal_slowdown",
    0x40: "hw_thermal_slowdown",
    0x80: "hw_power_brake_slowdown",
    0x100: "display_clocks_setting",
}


def event_names(mask: int) -> list[str]:
    return [name for bit, name in EVENT_NAMES.items() if mask & bit] + (
        [f"0x{mask & ~0x1FF:x}"] if mask & ~0x1FF else []
    )


def thermal_parts(g: GpuInfo, rules: Rules) -> list[Part]:
    parts: list[Part] = []
    if g.clock_event_reasons is None:
        parts.append((Status.UNKNOWN, Action.MONITOR, "clock event reasons unsupported"))
    else:
        bad = [n for n in event_names(g.clock_event_reasons) if n in rules["warn_reasons"]]
        if bad:
            parts.append((Status.WARN, Action.MONITOR, "clocks held down by " + ", ".join(bad)))
    if g.temp_c is not None and g.temp_slowdown_c:
        margin = g.temp_slowdown_c - g.temp_c
        if margin <= rules["warn_margin_to_slowdown_c"]:
            parts.append((Status.WARN, Action.MONITOR, f"{g.temp_c} °C, {margin} °C from slowdown"))
    return parts


def evaluate_thermal(caps: Mapping[str, Capture], rules: Rules, ctx: Context) -> list[Finding]:
    view, instead = per_gpu_or(ID_THERMAL, caps, rules, ctx.memo)
    out = list(instead)
    for g in view.gpus:
        mask = g.clock_event_reasons
        obs = {
            "clock_event_reasons": None if mask is None else event_names(mask),
            "temp_c": g.temp_c,
            "temp_slowdown_c": g.temp_slowdown_c,
            "temp_shutdown_c": g.temp_shutdown_c,
            "power_w": g.power_w,
            "power_limit_w": g.power_limit_w,
        }
        ok = f"{g.temp_c} °C, {g.power_w} W of {g.power_limit_w} W, no throttling"
        out.append(gpu_finding(ID_THERMAL, g, thermal_parts(g, rules), obs, rules, ok))
    return out


SOURCES = (*gpu_sources.GPU, gpu_sources.FACTS)
CHECKS = (
    Check(
        ID_MEMORY,
        "GPU memory: ECC, row remapping, retired pages",
        "NVML ECC/remapped rows/retired pages (nvidia-smi -q -x fallback)",
        SOURCES,
        evaluate_memory,
    ),
    Check(
        ID_PCIE,
        "GPU PCIe link and replays",
        "NVML PCIe gen/width/replay counter, utilization, processes; facts uptime",
        SOURCES,
        evaluate_pcie,
    ),
    Check(
        ID_NVLINK,
        "NVLink link state",
        "NVML nvmlDeviceGetNvLinkState; PCI NVSwitch",
        SOURCES,
        evaluate_nvlink,
    ),
    Check(
        ID_THERMAL,
        "GPU throttling and temperature",
        "NVML clock event reasons, temperature vs the GPU's own slowdown threshold, power",
        SOURCES,
        evaluate_thermal,
    ),
)
