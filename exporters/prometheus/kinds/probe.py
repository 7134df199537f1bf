"""`probe.result` and `probe.audit`: the names `diagctl probe run --prom` writes, plus breakers.

Interrupted targets (no verdict) still get their series: success 0, every verdict 0.
"""

from __future__ import annotations

from pydantic import ValidationError

from exporters.prometheus.kinds.common import common, epoch
from exporters.prometheus.metrics import SampleSet
from schemas.envelope import Envelope
from schemas.probe import ActionKind, ActionResult, AuditRecord, ProbeData, Verdict


def probe_samples(r: ProbeData, out: SampleSet) -> None:
    """One target's gauges; shared with `probe run --prom` so both write the same series."""
    lab = (r.target, r.node, r.group, r.model)
    ok = r.verdict in (Verdict.HEALTHY, Verdict.SLOW)
    out.add("diagctl_probe_success", lab, 1.0 if ok else 0.0)
    for v in Verdict:
        out.add("diagctl_probe_verdict", (*lab, v.value), 1.0 if r.verdict is v else 0.0)
    if r.timings.ttft_ms is not None:
        out.add("diagctl_probe_ttft_seconds", lab, r.timings.ttft_ms / 1000)
    if r.timings.itl_ms_max is not None:
        out.add("diagctl_probe_itl_max_seconds", lab, r.timings.itl_ms_max / 1000)
    out.add("diagctl_probe_duration_seconds", lab, r.timings.e2e_ms / 1000)
    out.add("diagctl_probe_tokens", lab, float(r.timings.tokens))
    out.add("diagctl_probe_consecutive_failures", lab, float(r.state.consecutive_fail))
    out.add("diagctl_probe_cordoned", lab, 1.0 if r.state.cordoned_by_us else 0.0)


def probe_result(env: Envelope, out: SampleSet) -> None:
    common(env, out)
    try:
        r = ProbeData.model_validate(env.data)
    except ValidationError:
        return  # the envelope's own status and errors are still exported
    probe_samples(r, out)
    if r.group:
        blocked = r.action_result is ActionResult.BLOCKED
        out.at_least("diagctl_breaker_tripped", (r.group,), 1.0 if blocked else 0.0)


def probe_audit(env: Envelope, out: SampleSet) -> None:
    """One audit record: counted; a breaker record dates the group's newest trip."""
    try:
        rec = AuditRecord.model_validate(env.data)
    except ValidationError:
        return
    out.add("diagctl_probe_actions", (rec.group, rec.action.value, rec.result.value), 1.0)
    at = epoch(rec.at)
    if rec.action is ActionKind.BREAKER and at is not None:
        out.at_least("diagctl_breaker_last_trip_timestamp_seconds", (rec.group,), at)
