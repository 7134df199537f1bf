"""gpu.driver: driver and CUDA version against the fleet baseline, persistence mode, MIG mode."""

from __future__ import annotations

from collections.abc import Mapping

from diag.checks.base import Check, Context, Rules, finding
from diag.checks.gpu.sources import GPU_SOURCES
from diag.checks.gpu.view import per_gpu_or
from schemas.capture import Capture
from schemas.enums import Status
from schemas.finding import Finding

ID = "gpu.driver"


def evaluate(caps: Mapping[str, Capture], rules: Rules, ctx: Context) -> list[Finding]:
    view, instead = per_gpu_or(ID, caps, rules, ctx.memo)
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
    return [finding(ID, status, rules, entity="gpus", message=msg, observed=obs)]


CHECK = Check(
    ID,
    "Driver/CUDA drift, persistence and MIG mode",
    "NVML system driver/CUDA version, persistence mode, MIG mode",
    GPU_SOURCES,
    evaluate,
)
