"""The per-kind table: envelope kind -> the samples one envelope of that kind contributes.

A new envelope kind is one entry in `KINDS`. A `latest` kind describes a host's state: only
the newest envelope per (kind, host) counts, so a day of cron output gives today's state.
An event kind (audit records) adds up over every envelope of the input. Kinds not listed are
counted and skipped (`diagctl_export_envelopes{result="skipped_kind"}`), never a crash.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from exporters.prometheus.kinds.health import health
from exporters.prometheus.kinds.probe import probe_audit, probe_result
from exporters.prometheus.kinds.tools import (
    bundle,
    lifecycle_action,
    lifecycle_transition,
    mu_report,
    reset_reason,
)
from exporters.prometheus.metrics import SampleSet
from schemas.envelope import Envelope


@dataclass(frozen=True)
class KindMap:
    samples: Callable[[Envelope, SampleSet], None]
    latest: bool = True  # False: an event; every envelope of the input counts


KINDS: dict[str, KindMap] = {
    "health.l1": KindMap(health),
    "probe.result": KindMap(probe_result),
    "probe.audit": KindMap(probe_audit, latest=False),
    "bundle": KindMap(bundle),
    "reset_reason": KindMap(reset_reason),
    "lifecycle.transition": KindMap(lifecycle_transition),
    "lifecycle.asset": KindMap(lifecycle_transition),  # `lifecycle status`: data.phase
    "lifecycle.action": KindMap(lifecycle_action, latest=False),
    "mu.report": KindMap(mu_report),
}
