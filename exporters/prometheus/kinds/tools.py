"""Kinds of the tools that land beside the exporter: `bundle` and `reset_reason`.

Their data models are young, so every field is read defensively: a missing or mistyped field
yields no sample. Paths and hashes are free text and never labels; a reason that is not one
short lowercase word is exported as `other`.
"""

from __future__ import annotations

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
