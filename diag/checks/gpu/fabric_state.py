"""The GPU's own NVLink fabric registration state (NVML `nvmlDeviceGetGpuFabricInfo(V)`) →
one verdict part.

On NVSwitch systems the fabric manager trains the NVLink fabric and registers every GPU in it;
NVML then reports, per GPU, `state` (NOT_SUPPORTED, NOT_STARTED, IN_PROGRESS, COMPLETED) and,
once COMPLETED, a `status` (an nvmlReturn_t: SUCCESS or the error that stopped registration).
`nvidia-smi -q` prints the same as `Fabric / State: Completed / Status: Success`. In a VM, and
on NVLink-switch systems, the switches are not on the guest's PCI bus, so this state is the
only local evidence that the fabric is up.
"""

from __future__ import annotations

from schemas.enums import Action, Status
from schemas.gpu import FabricState

# (status, action, what was seen), as in diag.checks.gpu.view.Part
Verdict = tuple[Status, Action, str]


def judge_fabric(state: FabricState, status: str | None, needs_fabric: bool) -> Verdict:
    """`needs_fabric`: an NVSwitch is on the PCI bus or some NVLink is active on this host, so
    GPUs that never registered cannot use their links."""
    if state == "not_supported":
        return Status.NOT_APPLICABLE, Action.NONE, "fabric not supported by this GPU"
    if state == "in_progress":
        return Status.WARN, Action.MONITOR, "fabric registration in progress"
    if state == "not_started":
        if needs_fabric:
            return (
                Status.FAIL,
                Action.RESET,
                "fabric registration not started: start nvidia-fabricmanager (on this host, "
                "or on the hypervisor for a VM), then reset the GPU",
            )
        return Status.WARN, Action.MONITOR, "fabric registration not started (no NVLink in use)"
    if status == "success":
        return Status.PASS, Action.NONE, "fabric completed/success"
    return (
        Status.FAIL,
        Action.RESET,
        f"fabric registration completed with error {status or 'unreported'}: check "
        "nvidia-fabricmanager's log, then reset the GPU",
    )
