"""host.fabric_manager: is the NVLink fabric up, and is the fabric manager running where it
must?

The verdict comes first from each GPU's own fabric state through NVML (see
diag.checks.gpu.fabric_state): in VMs and on NVLink-switch systems the NVSwitches are not on the
guest's PCI bus, yet the GPUs report `Completed / Success` once the fabric manager (on the
hypervisor, or the switch trays) registered them. Where NVML cannot say (an old driver, no NVML
capture, fabric not supported), the fallback is the PCI bus: NVSwitch functions there (an
HGX/DGX baseboard) need `nvidia-fabricmanager` running on this host.
"""

from __future__ import annotations

from collections.abc import Mapping

from diag.checks.base import Check, Context, Rules, capture_problem, finding
from diag.checks.gpu import sources as gpu_sources
from diag.checks.gpu.fabric_state import Verdict, judge_fabric
from diag.checks.gpu.view import GpuView, gpu_view
from diag.checks.host.sources import FABRIC_MANAGER
from schemas.capture import Capture
from schemas.enums import Action, Status, worst
from schemas.finding import Finding

ID = "host.fabric_manager"
ENTITY = "nvidia-fabricmanager"


def parse_systemctl_show(stdout: str) -> dict[str, str]:
    return dict(ln.split("=", 1) for ln in stdout.splitlines() if "=" in ln)


def evaluate(caps: Mapping[str, Capture], rules: Rules, ctx: Context) -> list[Finding]:
    view = gpu_view(caps, ctx.memo)
    states = [g.fabric_state for g in view.gpus if g.fabric_state is not None]
    if any(s != "not_supported" for s in states):
        return [_from_gpus(view, caps, rules)]
    why = _why_no_state(view)
    if view.pci is None:
        msg = f"cannot judge: PCI bus unreadable, NVSwitch presence unknown; {why}"
        return [finding(ID, Status.UNKNOWN, rules, entity=ENTITY, message=msg)]
    if not view.nvswitches:
        msg = f"no NVSwitch on the PCI bus and {why}: fabric manager not needed (not applicable)"
        obs = {"nvswitches": 0, "fabric": why}
        return [finding(ID, Status.NOT_APPLICABLE, rules, entity=ENTITY, message=msg, observed=obs)]
    problem = capture_problem(ID, caps, "fabricmanager", rules, ENTITY)
    if problem:
        return [problem]
    status, action, msg = _service(caps["fabricmanager"].stdout, len(view.nvswitches))
    obs = {"nvswitches": len(view.nvswitches), **parse_systemctl_show(caps["fabricmanager"].stdout)}
    return [finding(ID, status, rules, entity=ENTITY, message=msg, observed=obs, action=action)]


def _why_no_state(view: GpuView) -> str:
    if not view.gpus:
        return "no GPU fabric state (no GPU read)"
    if all(g.fabric_state == "not_supported" for g in view.gpus):
        return "GPU fabric not supported (NVML)"
    reasons = sorted({g.unsupported.get("fabric", "not reported") for g in view.gpus})
    return f"GPU fabric state unavailable ({', '.join(reasons)})"


def _service(stdout: str, switches: int) -> Verdict:
    props = parse_systemctl_show(stdout)
    msg = (
        f"{switches} NVSwitch(es); nvidia-fabricmanager {props.get('ActiveState', '?')}/"
        f"{props.get('SubState', '?')} (load {props.get('LoadState', '?')})"
    )
    if props.get("ActiveState") == "active":
        return Status.PASS, Action.NONE, msg
    return Status.FAIL, Action.RESET, msg + ": NVLink fabric unusable until it runs"


def _from_gpus(view: GpuView, caps: Mapping[str, Capture], rules: Rules) -> Finding:
    """One host finding from every GPU's fabric state, plus the service where NVSwitches are on
    this host's PCI bus (bare-metal HGX: the fabric manager runs here)."""
    switches = len(view.nvswitches)
    in_use = any(x.active for g in view.gpus for x in g.nvlink or [])
    parts: list[Verdict] = []
    fabric: dict[str, str] = {}
    for g in view.gpus:
        if g.fabric_state is None:
            why = g.unsupported.get("fabric", "not reported")
            parts.append((Status.UNKNOWN, Action.MONITOR, f"GPU{g.index}: fabric state {why}"))
            fabric[f"GPU{g.index}"] = why
            continue
        st, act, text = judge_fabric(g.fabric_state, g.fabric_status, bool(switches) or in_use)
        parts.append((st, act, f"GPU{g.index}: {text}"))
        fabric[f"GPU{g.index}"] = f"{g.fabric_state}/{g.fabric_status}"
    obs: dict[str, object] = {"fabric": fabric, "nvswitches": switches}
    obs["clique_ids"] = sorted(
        {g.fabric_clique_id for g in view.gpus if g.fabric_clique_id is not None}
    )
    if switches:
        problem = capture_problem(ID, caps, "fabricmanager", rules, ENTITY)
        if problem:
            parts.append((problem.status, problem.action, problem.message))
        else:
            parts.append(_service(caps["fabricmanager"].stdout, switches))
    judged = [p for p in parts if p[0] is not Status.NOT_APPLICABLE] or parts
    bad = [p for p in judged if p[0] is not Status.PASS]
    action = max((p[1] for p in bad), key=list(Action).index, default=Action.NONE)
    where = f"{switches} NVSwitch(es) on the PCI bus" if switches else "no NVSwitch on the PCI bus"
    backend = view.snapshot.backend if view.snapshot else "?"
    ok = f"GPU fabric completed/success on {len(view.gpus)} GPU(s) ({backend}); {where}"
    msg = "; ".join(p[2] for p in bad) if bad else ok
    status = worst(p[0] for p in judged)
    return finding(ID, status, rules, entity=ENTITY, message=msg, observed=obs, action=action)


CHECK = Check(
    ID,
    "NVLink fabric state and fabric manager",
    "NVML nvmlDeviceGetGpuFabricInfo(V) per GPU; PCI NVSwitch functions (sysfs); "
    "systemctl show nvidia-fabricmanager",
    (*gpu_sources.GPU_SOURCES, FABRIC_MANAGER),
    evaluate,
)
