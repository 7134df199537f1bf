"""The gpu.xid check: kernel-log Xids per GPU (keyed by PCI address → UUID) and SXids per
NVSwitch, plus NVML's gpu_recovery_action, which wins when the driver reports one."""

from __future__ import annotations

from collections.abc import Mapping

from diag.checks.base import Check, Context, Rules, finding, unknown
from diag.checks.gpu import sources as gpu_sources
from diag.checks.gpu.view import gpu_view
from diag.checks.gpu.xid_log import RECOVERY, judge, kernel_events
from schemas.capture import Capture
from schemas.enums import Action, Status
from schemas.finding import Finding
from schemas.gpu import GpuInfo, XidEvent

ID = "gpu.xid"


def _with_driver(
    g: GpuInfo | None, status: Status, action: Action, notes: list[str]
) -> tuple[Status, Action, list[str]]:
    """NVML's recovery action, when the driver reports one other than 'none', wins over the
    table. 'none' is kept as evidence only: it cannot tell a healed GPU from a driver that
    does not track the event (repeated app Xids, previous-boot events)."""
    if g is None or g.recovery_action is None:
        return status, action, notes
    name, d_status, d_action = RECOVERY.get(
        g.recovery_action, (f"code {g.recovery_action}", Status.WARN, Action.MONITOR)
    )
    notes = [*notes, f"driver recovery action: {name}"]
    if d_action is not Action.NONE:
        return d_status, d_action, notes
    return status, action, notes


def _finding(
    entity: str,
    status: Status,
    action: Action,
    notes: list[str],
    events: list[XidEvent],
    rules: Rules,
    where: str,
) -> Finding:
    return finding(
        ID,
        status,
        rules,
        entity=entity,
        observed={"events": len(events), "codes": sorted({e.code for e in events}), "log": where},
        message="; ".join(notes) or "no Xid",
        action=action,
        evidence=[f"{e.at} {e.kind} {e.code} {e.message}"[:200] for e in events[-3:]],
    )


def evaluate(caps: Mapping[str, Capture], rules: Rules, ctx: Context) -> list[Finding]:
    events, where = kernel_events(caps)
    view = gpu_view(caps, ctx.memo)
    by_bdf = {g.bdf: g for g in view.gpus}
    if events is None:
        if view.no_gpu:  # no NVIDIA function on the PCI bus: nothing could log an Xid
            msg = f"no GPU: not applicable ({where})"
            return [_finding("gpus", Status.NOT_APPLICABLE, Action.NONE, [msg], [], rules, "")]
        return [unknown(ID, where, rules, "kernel")]
    devices: dict[str, list[XidEvent]] = {}
    for ev in events:
        devices.setdefault(ev.bdf, []).append(ev)
    for g in view.gpus:  # GPUs with no Xid still get the driver's recovery action
        if g.recovery_action:
            devices.setdefault(g.bdf, [])
    out = []
    if devices:  # the table is YAML checked by pydantic: loaded only when there is an event
        from diag.checks.gpu.xid_table import xid_policy

        pol = xid_policy(rules.thresholds)
    for bdf, evs in sorted(devices.items()):
        status, action, notes = judge(evs, pol)
        gpu = by_bdf.get(bdf)
        status, action, notes = _with_driver(gpu, status, action, notes)
        entity = gpu.label if gpu else bdf
        out.append(_finding(entity, status, action, notes, evs, rules, where))
    if not out and view.no_gpu:
        msg = f"no GPU; no Xid in {where}: not applicable"
        out.append(_finding("gpus", Status.NOT_APPLICABLE, Action.NONE, [msg], [], rules, where))
    elif not out:
        msg = f"no Xid/SXid in {where}"
        out.append(_finding("gpus", Status.PASS, Action.NONE, [msg], [], rules, where))
    return out


CHECK = Check(
    ID,
    "Xid/SXid in the kernel log, driver recovery action",
    "journalctl -k (this + previous boot) or dmesg; NVML gpu_recovery_action; "
    "diag/policies/xid.yaml",
    (*gpu_sources.KERNEL_LOG, *gpu_sources.GPU),
    evaluate,
)
