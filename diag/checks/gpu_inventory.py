"""GPU count vs the expected count for the host class, and driver/CUDA drift vs the fleet."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from diag.checks import gpu_sources
from diag.checks.base import SEVERITY_OF, Check, Context, Rules, unknown
from diag.checks.gpu_state import GpuView, expected_gpus, gpu_view, per_gpu_or
from schemas.envelope import Action, Finding, Status
from schemas.payload import Capture

ID_INVENTORY = "gpu.inventory"
ID_DRIVER = "gpu.driver"


def _finding(cid: str, status: Status, action: Action, msg: str, obs: Any, rules: Rules) -> Finding:
    return Finding(
        check_id=cid,
        status=status,
        severity=SEVERITY_OF[status],
        entity="gpus",
        observed=obs,
        threshold=dict(rules.thresholds),
        threshold_source=rules.source,
        message=msg,
        action=action,
    )


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


def evaluate_inventory(caps: Mapping[str, Capture], rules: Rules, ctx: Context) -> list[Finding]:
    view = gpu_view(caps, ctx.memo)
    expected = expected_gpus(rules, ctx)
    if view.pci is None and view.snapshot is None:
        why = "; ".join(view.problems) or "no PCI or GPU capture"
        if expected > 0:
            return [
                _finding(
                    ID_INVENTORY,
                    Status.FAIL,
                    Action.REBOOT,
                    f"0 of {expected} GPUs readable: {why}",
                    {"expected": expected},
                    rules,
                )
            ]
        return [unknown(ID_INVENTORY, why, rules, "gpus")]
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
    return [_finding(ID_INVENTORY, status, action, msg, obs, rules)]


def evaluate_driver(caps: Mapping[str, Capture], rules: Rules, ctx: Context) -> list[Finding]:
    view, instead = per_gpu_or(ID_DRIVER, caps, rules, ctx.memo)
    if instead or view.snapshot is None:
        return instead
    snap = view.snapshot
    notes: list[tuple[Status, str]] = []
    for key, have in (
        ("baseline_driver", snap.driver_version),
        ("baseline_cuda", snap.cuda_version),
    ):
        want = str(rules[key])
        if want and have != want:
            notes.append(
                (Status.WARN, f"{key[9:]} {have or '?'} differs from fleet baseline {want}")
            )
    no_pm = [g.index for g in snap.gpus if g.persistence_mode is False]
    if no_pm and rules["require_persistence_mode"]:
        notes.append((Status.WARN, f"persistence mode off on GPU(s) {no_pm}"))
    mig = str(rules["expected_mig"])
    wrong = [g.index for g in snap.gpus if mig != "any" and g.mig_enabled is not (mig == "enabled")]
    if wrong:
        notes.append((Status.WARN, f"MIG mode not {mig} on GPU(s) {wrong}"))
    status = Status.WARN if notes else Status.PASS
    msg = "; ".join(n[1] for n in notes) or (
        f"driver {snap.driver_version}, CUDA {snap.cuda_version or '?'}"
        + ("" if rules["baseline_driver"] else " (no fleet baseline set)")
    )
    obs = {
        "driver": snap.driver_version,
        "cuda": snap.cuda_version,
        "vbios": sorted({g.vbios for g in snap.gpus}),
        "persistence_off": no_pm,
        "mig_enabled": [g.index for g in snap.gpus if g.mig_enabled],
    }
    action = Action.MONITOR if notes else Action.NONE
    return [_finding(ID_DRIVER, status, action, msg, obs, rules)]


SOURCES = (*gpu_sources.GPU, gpu_sources.FACTS)
CHECKS = (
    Check(
        ID_INVENTORY,
        "GPU count vs expected",
        "NVML device count (nvidia-smi fallback), NVIDIA functions on the PCI bus (sysfs)",
        SOURCES,
        evaluate_inventory,
    ),
    Check(
        ID_DRIVER,
        "Driver/CUDA drift, persistence and MIG mode",
        "NVML system driver/CUDA version, persistence mode, MIG mode",
        SOURCES,
        evaluate_driver,
    ),
)
