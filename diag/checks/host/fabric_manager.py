"""NVIDIA fabric manager, judged only where NVSwitches are on the PCI bus (HGX/DGX baseboards):
without it running, the NVLink fabric of those GPUs is unusable."""

from __future__ import annotations

from collections.abc import Mapping

from diag.checks.base import Check, Context, Rules, capture_problem, finding
from diag.checks.gpu import sources as gpu_sources
from diag.checks.gpu.view import gpu_view
from diag.checks.host.sources import FABRIC_MANAGER
from schemas.envelope import Action, Finding, Status
from schemas.payload import Capture

ID = "host.fabric_manager"
ENTITY = "nvidia-fabricmanager"


def parse_systemctl_show(stdout: str) -> dict[str, str]:
    return dict(ln.split("=", 1) for ln in stdout.splitlines() if "=" in ln)


def evaluate(caps: Mapping[str, Capture], rules: Rules, ctx: Context) -> list[Finding]:
    view = gpu_view(caps, ctx.memo)
    if view.pci is None:
        msg = "cannot judge: PCI bus unreadable, NVSwitch presence unknown"
        return [finding(ID, Status.UNKNOWN, rules, entity=ENTITY, message=msg)]
    switches = len(view.nvswitches)
    if not switches:
        msg = "no NVSwitch on the PCI bus: fabric manager not needed (not applicable)"
        return [
            finding(
                ID,
                Status.NOT_APPLICABLE,
                rules,
                entity=ENTITY,
                message=msg,
                observed={"nvswitches": 0},
            )
        ]
    problem = capture_problem(ID, caps, "fabricmanager", rules, ENTITY)
    if problem:
        return [problem]
    props = parse_systemctl_show(caps["fabricmanager"].stdout)
    obs = {"nvswitches": switches, **props}
    msg = (
        f"{switches} NVSwitch(es); nvidia-fabricmanager {props.get('ActiveState', '?')}/"
        f"{props.get('SubState', '?')} (load {props.get('LoadState', '?')})"
    )
    if props.get("ActiveState") == "active":
        return [finding(ID, Status.PASS, rules, entity=ENTITY, message=msg, observed=obs)]
    msg += ": NVLink fabric unusable until it runs"
    return [
        finding(
            ID, Status.FAIL, rules, entity=ENTITY, message=msg, observed=obs, action=Action.RESET
        )
    ]


CHECK = Check(
    ID,
    "NVIDIA fabric manager (NVSwitch hosts)",
    "PCI NVSwitch functions (sysfs); systemctl show nvidia-fabricmanager",
    (gpu_sources.PCI, FABRIC_MANAGER),
    evaluate,
)
