"""Kinds of the tools that land beside the exporter: `bundle`, `reset_reason`, the lifecycle
registry's `lifecycle.transition` / `lifecycle.action` and Model Units' `mu.report`.

Their data models are young, so every field is read defensively: a missing or mistyped field
yields no sample. Paths and hashes are free text and never labels; a reason that is not one
short lowercase word is exported as `other`.
"""

from __future__ import annotations

from exporters.kinds_read import mu_groups, to_phase
from exporters.prometheus.kinds.common import common, enum_label, number
from exporters.prometheus.metrics import SampleSet
from schemas.envelope import Envelope


def bundle(env: Envelope, out: SampleSet) -> None:
    host, data = (env.host.name,), env.data
    size = number(data.get("bytes"))
    if size is not None:
        out.add("diagctl_bundle_bytes", host, size)
    artifacts = data.get("artifacts")
    count = len(artifacts) if isinstance(artifacts, (list, dict)) else number(artifacts)
    if count is not None:
        out.add("diagctl_bundle_artifacts", host, float(count))
    complete = data.get("complete")
    if isinstance(complete, bool):
        out.add("diagctl_bundle_complete", host, 1.0 if complete else 0.0)
    common(env, out)


def reset_reason(env: Envelope, out: SampleSet) -> None:
    reason = env.data.get("reason")
    if reason is not None:
        labels = (env.host.name, enum_label(reason))
        out.add("diagctl_reset_reason", labels, 1.0)
        confidence = number(env.data.get("confidence"))
        if confidence is not None and 0 <= confidence <= 1:
            out.add("diagctl_reset_reason_confidence", labels, confidence)
    common(env, out)


def lifecycle_transition(env: Envelope, out: SampleSet) -> None:
    phase = to_phase(env.data)
    if phase:
        out.add("diagctl_lifecycle_phase", (env.host.name, enum_label(phase)), 1.0)
    common(env, out)


def lifecycle_action(env: Envelope, out: SampleSet) -> None:
    # The registry's rows say `outcome` (pass/warn/fail/unknown); `result` is read as well.
    action = env.data.get("action")
    result = env.data.get("outcome", env.data.get("result", "done"))
    if action is not None:
        out.bump("diagctl_lifecycle_actions", (enum_label(action), enum_label(result)))


def mu_report(env: Envelope, out: SampleSet) -> None:
    for g in mu_groups(env.data):
        if g.capacity_mu_per_s is not None and g.capacity_mu_per_s >= 0:
            out.add("diagctl_mu_capacity_per_second", (g.name,), g.capacity_mu_per_s)
        if g.headroom_ratio is not None:
            out.add("diagctl_mu_headroom_ratio", (g.name,), g.headroom_ratio)
    common(env, out)
