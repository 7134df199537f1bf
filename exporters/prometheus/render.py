"""Envelopes -> a `SampleSet` -> the Prometheus text exposition format (prometheus-client).

Label values pass through one function: secrets redacted (diag.redact), control and bidi
characters shown as escapes (diag.textsafe) except the newline, which the exposition format
escapes itself (`\\n`, like `\\"` and `\\\\`), and cut to LABEL_MAX characters. No sample
carries a timestamp: node_exporter's textfile collector refuses them, and Prometheus stamps
a scrape with its own time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from diag import redact
from diag.textsafe import safe_text
from exporters.prometheus.kinds import KINDS
from exporters.prometheus.kinds.common import epoch
from exporters.prometheus.metrics import CATALOGUE, SampleSet
from schemas.envelope import Envelope

LABEL_MAX = 200  # characters; a longer host name or model is cut, with an ellipsis


@dataclass
class Collected:
    samples: SampleSet
    exported: int = 0
    unknown_kinds: Counter[str] = field(default_factory=Counter)


@lru_cache(maxsize=65536)
def label_value(value: str) -> str:
    """What a label carries: redacted, terminal-safe (newlines kept), bounded."""
    clean = "\n".join(safe_text(part) for part in redact.text(value).split("\n"))
    return clean if len(clean) <= LABEL_MAX else clean[: LABEL_MAX - 1] + "…"


def collect(envelopes: Iterable[Envelope]) -> Collected:
    """The samples of `envelopes`: the newest per (kind, host) for state kinds (by
    collected_at; on a tie the later input wins), every one for event kinds."""
    out = Collected(SampleSet())
    newest: dict[tuple[str, str], tuple[float, Envelope]] = {}
    for env in envelopes:
        kind = KINDS.get(env.kind)
        if kind is None:
            out.unknown_kinds[env.kind] += 1
            continue
        out.exported += 1
        if not kind.latest:
            kind.samples(env, out.samples)
            continue
        at = epoch(env.collected_at) or 0.0
        key = (env.kind, env.host.name)
        if key not in newest or at >= newest[key][0]:
            newest[key] = (at, env)
    for _, env in sorted(newest.values(), key=lambda pair: (pair[1].kind, pair[1].host.name)):
        KINDS[env.kind].samples(env, out.samples)
    return out


def export_counts(c: Collected, skipped_bad: int) -> None:
    """The export's own series: how many inputs were exported and skipped, and why."""
    s = c.samples
    s.add("diagctl_export_envelopes", ("exported",), float(c.exported))
    s.add("diagctl_export_envelopes", ("skipped_bad",), float(skipped_bad))
    s.add("diagctl_export_envelopes", ("skipped_kind",), float(sum(c.unknown_kinds.values())))


def families(samples: SampleSet) -> Iterator[Metric]:
    for name, spec in CATALOGUE.items():
        series = samples.series.get(name)
        if not series:
            continue
        cls = CounterMetricFamily if spec.type == "counter" else GaugeMetricFamily
        family = cls(name, spec.help, labels=list(spec.labels))
        for labels, value in series.items():
            family.add_metric([label_value(v) for v in labels], value)
        yield family


class _Collector:
    def __init__(self, samples: SampleSet) -> None:
        self._samples = samples

    def collect(self) -> Iterator[Metric]:
        return families(self._samples)


def render(samples: SampleSet) -> bytes:
    """The text exposition format (version 0.0.4), families in catalogue order."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collector(samples))
    return generate_latest(registry)
