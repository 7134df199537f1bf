"""One host's resets over --since: its timeline, and the findings a person or the lifecycle
acts on (the last reset's reason, a GPU fault that keeps coming back, too many unplanned
resets). Pure: the host's own clock at collection (`now_s`) anchors every window."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from diag.reset.decide import UNPLANNED, Verdict, judge
from diag.reset.evidence import HostEvidence
from diag.reset.parse import iso
from schemas.enums import Action, Severity, Status
from schemas.finding import Finding
from schemas.record import record
from schemas.reset_records import TimelineEntry

WEEK_S = 7 * 86400  # the escalation window is fixed: "more than N unplanned resets in 7 days"


@record(frozen=True)
class Thresholds:
    repeat_after: int = 2  # the same GPU fault class before this many resets: isolate / RMA
    unplanned_max: int = 1  # more unplanned resets than this in 7 days: escalate


def timeline(ev: HostEvidence, gpu_xids: frozenset[int]) -> tuple[Verdict, list[TimelineEntry]]:
    """The last reset's verdict and every reset inside --since, oldest first."""
    errors = sum(s.state == "error" for s in ev.completeness)
    entries, last = [], None
    for boot in ev.boots:
        v = judge(ev, boot, gpu_xids, errors)
        if boot.index == -1:
            last = v
        entries.append(
            TimelineEntry(
                boot_id=boot.boot_id,
                ended_at=iso(boot.last_s),
                next_boot_at=iso(ev.next_start(boot)),
                reason=v.reason,
                confidence=v.confidence,
                xids=v.xids,
                clean=v.clean,
            )
        )
    if last is None:  # no previous boot at all: judge() is never reached
        last = Verdict("unknown", 0.0, ev.journal_missing or "no previous boot", None, [], [])
    return last, sorted(entries, key=lambda e: e.ended_at)


def unplanned(entry: TimelineEntry) -> bool:
    """A reset without a clean shutdown, or with a cause that is not a plan."""
    return (
        entry.clean is False or entry.reason in UNPLANNED or entry.reason == "gpu_fault_then_reset"
    )


def repeat_findings(
    entries: list[TimelineEntry], th: Thresholds, names: Mapping[int, str]
) -> list[Finding]:
    counts: dict[int, int] = {}
    for e in entries:
        for code in e.xids:
            counts[code] = counts.get(code, 0) + 1
    worst = max(counts.items(), key=lambda kv: (kv[1], -kv[0]), default=(0, 0))
    base: dict[str, Any] = {
        "check_id": "reset.repeat_gpu_fault",
        "threshold": th.repeat_after,
        "threshold_source": "--repeat-after",
    }
    if worst[1] < th.repeat_after:
        msg = f"no GPU fault class before {th.repeat_after} resets ({len(entries)} in --since)"
        return [Finding(status=Status.PASS, observed=worst[1], message=msg, **base)]
    out = []
    for code, n in sorted(counts.items()):
        if n >= th.repeat_after:
            name = names.get(code, "")
            what = f"Xid {code}" + (f" ({name})" if name else "")
            msg = f"{what} before {n} resets: isolate the host and open an RMA"
            out.append(
                Finding(
                    status=Status.FAIL,
                    severity=Severity.HIGH,
                    entity=f"xid {code}",
                    observed=n,
                    message=msg,
                    action=Action.ISOLATE,
                    **base,
                )
            )
    return out


def rate_finding(entries: list[TimelineEntry], th: Thresholds, now_s: int) -> Finding:
    week = iso(now_s - WEEK_S)
    recent = [e for e in entries if e.ended_at >= week and unplanned(e)]
    base: dict[str, Any] = {
        "check_id": "reset.unplanned_rate",
        "threshold": th.unplanned_max,
        "threshold_source": "--unplanned-max",
        "observed": len(recent),
        "evidence": [f"{e.ended_at} {e.reason}" for e in recent],
    }
    if len(recent) > th.unplanned_max:
        msg = f"escalate: {len(recent)} unplanned resets in 7 days (more than {th.unplanned_max})"
        return Finding(
            status=Status.FAIL, severity=Severity.HIGH, message=msg, action=Action.MONITOR, **base
        )
    return Finding(
        status=Status.PASS, message=f"{len(recent)} unplanned reset(s) in 7 days", **base
    )


_STATUS = {
    "unknown": (Status.UNKNOWN, Severity.LOW),
    "planned_reboot": (Status.PASS, Severity.INFO),
    "planned_shutdown": (Status.PASS, Severity.INFO),
    "firmware_update": (Status.PASS, Severity.INFO),
    "hardware_fault": (Status.WARN, Severity.HIGH),
    "gpu_fault_then_reset": (Status.WARN, Severity.HIGH),
}


def reason_finding(v: Verdict, boot_id: str) -> Finding:
    status, severity = _STATUS.get(v.reason, (Status.WARN, Severity.MEDIUM))
    used = [i for i in v.evidence if i.supports == v.reason][:5]
    return Finding(
        check_id="reset.reason",
        status=status,
        severity=severity,
        entity=boot_id,
        observed={"reason": v.reason, "confidence": v.confidence},
        message=f"last reset: {v.reason} (confidence {v.confidence:.2f}): {v.explanation}",
        action=Action.MONITOR if status is Status.WARN else Action.NONE,
        evidence=[f"{i.source} {i.timestamp}: {i.excerpt}" for i in used],
    )
