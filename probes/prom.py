"""Prometheus textfile-collector output (`--prom FILE`): per target success, TTFT, ITL.

The series come from the exporter's probe table (exporters/prometheus/kinds/probe.py), so
`probe run --prom` and `diagctl export prometheus` agree on every name and label.

Every name starts with `diagctl_`: blackbox_exporter already exports `probe_success` and
`probe_duration_seconds`, and two exporters writing one name with different labels break
queries and recording rules that aggregate over it.

node_exporter's textfile collector picks the file up; it is written
atomically so a scrape never sees half of it.
"""

from __future__ import annotations

from pathlib import Path

from diag.files import atomic_write
from exporters.prometheus.kinds.probe import probe_samples
from exporters.prometheus.metrics import SampleSet
from exporters.prometheus.render import render as render_samples
from schemas.probe import ProbeData


def render(results: list[ProbeData]) -> bytes:
    """The same series `diagctl export prometheus` writes for these targets' envelopes."""
    samples = SampleSet()
    for r in results:
        probe_samples(r, samples)
    return render_samples(samples)


def write(path: Path, results: list[ProbeData]) -> None:
    atomic_write(path, render(results))
