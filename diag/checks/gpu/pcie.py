"""gpu.pcie: PCIe link generation/width against the GPU's maximum while busy, and the replay
counter as a rate over uptime, per GPU."""

from __future__ import annotations

from collections.abc import Mapping

from diag.checks.base import Check, Context, Rules
from diag.checks.gpu.sources import GPU_SOURCES
from diag.checks.gpu.view import Part, facts_uptime_s, gpu_finding, per_gpu_or
from schemas.capture import Capture
from schemas.enums import Action, Status
from schemas.finding import Finding
from schemas.gpu import GpuInfo

ID = "gpu.pcie"


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
                    f"{rate:.1f} PCIe replays/min >= warn {limit} (gen {gen})",
                )
            )
    if g.pcie_gen_current is None and g.pcie_width_current is None:
        parts.append((Status.UNKNOWN, Action.MONITOR, "PCIe link state unsupported"))
    return parts


def evaluate(caps: Mapping[str, Capture], rules: Rules, ctx: Context) -> list[Finding]:
    view, instead = per_gpu_or(ID, caps, rules, ctx.memo)
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
        out.append(gpu_finding(ID, g, pcie_parts(g, rules, uptime), obs, rules, ok))
    return out


CHECK = Check(
    ID,
    "GPU PCIe link and replays",
    "NVML PCIe gen/width/replay counter, utilization, processes; facts uptime",
    GPU_SOURCES,
    evaluate,
)
