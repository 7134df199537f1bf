"""gpu.nvlink: NVLink state per GPU (nvmlDeviceGetNvLinkState); every link must be up where
any is, or where an NVSwitch fabric exists."""

from __future__ import annotations

from collections.abc import Mapping

from diag.checks.base import Check, Context, Rules, unknown
from diag.checks.gpu.sources import GPU_SOURCES
from diag.checks.gpu.view import Part, gpu_finding, per_gpu_or
from schemas.envelope import Action, Finding, Status
from schemas.payload import Capture

ID = "gpu.nvlink"


def evaluate(caps: Mapping[str, Capture], rules: Rules, ctx: Context) -> list[Finding]:
    view, instead = per_gpu_or(ID, caps, rules, ctx.memo)
    out = list(instead)
    fabric = bool(view.nvswitches)
    for g in view.gpus:
        links = g.nvlink
        want = int(rules["expected_active_links"])
        if links is None:
            why = g.unsupported.get("nvlink", "not reported")
            if want > 0 or fabric:
                out.append(unknown(ID, f"GPU{g.index}: NVLink state {why}", rules, g.label))
            else:
                parts: list[Part] = []
                out.append(gpu_finding(ID, g, parts, {"nvlink": why}, rules, f"no NVLink ({why})"))
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
        out.append(gpu_finding(ID, g, parts, obs, rules, f"{len(active)} NVLinks active"))
    return out


CHECK = Check(
    ID,
    "NVLink link state",
    "NVML nvmlDeviceGetNvLinkState; PCI NVSwitch",
    GPU_SOURCES,
    evaluate,
)
