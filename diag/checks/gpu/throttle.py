"""gpu.throttle: clock event (throttle) reasons and temperature against the GPU's own slowdown
threshold, per GPU."""

from __future__ import annotations

from collections.abc import Mapping

from diag.checks.base import Check, Context, Rules
from diag.checks.gpu.sources import GPU_SOURCES
from diag.checks.gpu.view import Part, gpu_finding, per_gpu_or
from schemas.capture import Capture
from schemas.enums import Action, Status
from schemas.finding import Finding
from schemas.gpu import GpuInfo

ID = "gpu.throttle"
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
        limit = rules["warn_margin_to_slowdown_c"]
        if margin <= limit:
            msg = f"{g.temp_c} °C, {margin} °C from slowdown <= warn {limit} °C"
            parts.append((Status.WARN, Action.MONITOR, msg))
    return parts


def evaluate(caps: Mapping[str, Capture], rules: Rules, ctx: Context) -> list[Finding]:
    view, instead = per_gpu_or(ID, caps, rules, ctx.memo)
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
        out.append(gpu_finding(ID, g, thermal_parts(g, rules), obs, rules, ok))
    return out


CHECK = Check(
    ID,
    "GPU throttling and temperature",
    "NVML clock event reasons, temperature vs the GPU's own slowdown threshold, power",
    GPU_SOURCES,
    evaluate,
)
