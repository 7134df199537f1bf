"""gpu.memory: ECC errors, row remapping (A100 and later) and page retirement (earlier GPUs),
per GPU, from NVML (nvidia-smi -q -x when NVML cannot load)."""

from __future__ import annotations

from collections.abc import Mapping

from diag.checks.base import Check, Context, Rules
from diag.checks.gpu.sources import GPU_SOURCES
from diag.checks.gpu.view import Part, gpu_finding, per_gpu_or
from schemas.capture import Capture
from schemas.enums import Action, Status
from schemas.finding import Finding
from schemas.gpu import GpuInfo

ID = "gpu.memory"


def memory_parts(g: GpuInfo, rules: Rules) -> list[Part]:
    parts: list[Part] = []
    if g.lost:
        parts.append((Status.FAIL, Action.REBOOT, "NVML reports the GPU lost (fallen off the bus)"))
    if g.remap_failure:
        parts.append((Status.FAIL, Action.ISOLATE, "row remapping failed: no spare rows left"))
    retired = (g.retired_pages_sbe or 0) + (g.retired_pages_dbe or 0)
    if retired >= rules["isolate_retired_pages"]:
        limit = rules["isolate_retired_pages"]
        parts.append((Status.FAIL, Action.ISOLATE, f"{retired} retired pages >= isolate {limit}"))
    if g.remap_pending:
        parts.append((Status.FAIL, Action.RESET, "row remap pending: reset the GPU to apply it"))
    if g.retired_pages_pending:
        parts.append((Status.FAIL, Action.RESET, "page retirement pending: reset to apply it"))
    if g.ecc_volatile_uncorrected:
        parts.append(
            (
                Status.FAIL,
                Action.RESET,
                f"{g.ecc_volatile_uncorrected} uncorrectable ECC errors > 0",
            )
        )
    if g.ecc_aggregate_uncorrected and not g.ecc_volatile_uncorrected:
        status = Status.FAIL if rules["aggregate_uncorrectable_is_fail"] else Status.WARN
        parts.append(
            (
                status,
                Action.MONITOR,
                f"{g.ecc_aggregate_uncorrected} lifetime uncorrectable ECC > 0",
            )
        )
    if g.ecc_enabled is False:
        parts.append((Status.WARN, Action.MONITOR, "ECC is disabled"))
    if (g.ecc_volatile_corrected or 0) >= rules["warn_volatile_corrected"]:
        limit = rules["warn_volatile_corrected"]
        msg = f"{g.ecc_volatile_corrected} corrected ECC >= warn {limit}"
        parts.append((Status.WARN, Action.MONITOR, msg))
    known = (g.ecc_volatile_uncorrected, g.remap_pending, g.retired_pages_pending)
    if not parts and all(v is None for v in known):
        parts.append((Status.UNKNOWN, Action.MONITOR, "driver reports no ECC/remap/retirement"))
    return parts


def evaluate(caps: Mapping[str, Capture], rules: Rules, ctx: Context) -> list[Finding]:
    view, instead = per_gpu_or(ID, caps, rules, ctx.memo)
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
        out.append(gpu_finding(ID, g, parts, obs, rules, "memory healthy"))
    return out


CHECK = Check(
    ID,
    "GPU memory: ECC, row remapping, retired pages",
    "NVML ECC/remapped rows/retired pages (nvidia-smi -q -x fallback)",
    GPU_SOURCES,
    evaluate,
)
