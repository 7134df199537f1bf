"""gpu.inventory: the GPUs NVML (or nvidia-smi) sees against the NVIDIA GPUs on the PCI bus and
the expected count for the host class (--expect-gpus wins)."""

from __future__ import annotations

from collections.abc import Mapping

from diag.checks.base import Check, Context, Rules, finding, unknown
from diag.checks.gpu.sources import GPU_SOURCES
from diag.checks.gpu.view import GpuView, expected_gpus, gpu_view
from schemas.capture import Capture
from schemas.enums import Action, Status
from schemas.finding import Finding

ID = "gpu.inventory"


def inventory_verdict(view: GpuView, expected: int) -> tuple[Status, Action, str]:
    seen, on_bus = len(view.gpus), len(view.pci_gpus)
    lost = [g.index for g in view.gpus if g.lost]
    backend = view.snapshot.backend if view.snapshot else "none"
    if lost:
        return Status.FAIL, Action.REBOOT, f"GPU(s) {lost} lost: fallen off the bus"
    if view.snapshot is None and on_bus:
        why = "; ".join(view.problems) or "no backend"
        status = Status.FAIL if expected > 0 else Status.UNKNOWN
        return status, Action.REBOOT, f"{on_bus} NVIDIA GPU(s) on PCI but none readable: {why}"
    if view.pci is not None and on_bus > seen:
        return Status.FAIL, Action.REBOOT, f"{on_bus} GPUs on PCI, only {seen} seen by {backend}"
    if expected < 0:
        if view.no_gpu:
            return Status.PASS, Action.NONE, "no GPU on this host and none expected"
        return Status.PASS, Action.NONE, f"{seen} GPU(s) via {backend} (no expected count set)"
    if seen < expected:
        return Status.FAIL, Action.REBOOT, f"{seen} GPU(s) seen, {expected} expected"
    if seen > expected:
        return Status.WARN, Action.MONITOR, f"{seen} GPU(s) seen, only {expected} expected"
    return Status.PASS, Action.NONE, f"{seen} GPU(s) as expected via {backend}"


def evaluate(caps: Mapping[str, Capture], rules: Rules, ctx: Context) -> list[Finding]:
    view = gpu_view(caps, ctx.memo)
    expected = expected_gpus(rules, ctx)
    if view.pci is None and view.snapshot is None:
        why = "; ".join(view.problems) or "no PCI or GPU capture"
        if expected > 0:
            return [
                finding(
                    ID,
                    Status.FAIL,
                    rules,
                    entity="gpus",
                    message=f"0 of {expected} GPUs readable: {why}",
                    observed={"expected": expected},
                    action=Action.REBOOT,
                )
            ]
        return [unknown(ID, why, rules, "gpus")]
    status, action, msg = inventory_verdict(view, expected)
    obs = {
        "gpus": len(view.gpus),
        "pci_gpus": None if view.pci is None else len(view.pci_gpus),
        "nvswitches": None if view.pci is None else len(view.nvswitches),
        "expected": expected,
        "backend": view.snapshot.backend if view.snapshot else None,
        "names": sorted({g.name for g in view.gpus}),
        "problems": view.problems,
    }
    return [finding(ID, status, rules, entity="gpus", message=msg, observed=obs, action=action)]


CHECK = Check(
    ID,
    "GPU count vs expected",
    "NVML device count (nvidia-smi fallback), NVIDIA functions on the PCI bus (sysfs)",
    GPU_SOURCES,
    evaluate,
)
