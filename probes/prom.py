"""Prometheus textfile-collector output (`--prom FILE`): per target success, TTFT, ITL.

Every name starts with `diagctl_`: blackbox_exporter already exports `probe_success` and
`probe_duration_seconds`, and two exporters writing one name with different labels break
queries and recording rules that aggregate over it.

node_exporter's textfile collector (or the exporters issue) picks the file up; it is written
atomically so a scrape never sees half of it.
"""

from __future__ import annotations

from pathlib import Path

from prometheus_client import CollectorRegistry, Gauge, generate_latest

from diag import redact
from diag.files import atomic_write
from schemas.probe import ProbeData, Verdict

LABELS = ["target", "node", "group", "model"]


PREFIX = "diagctl_probe_"


def render(results: list[ProbeData]) -> bytes:
    reg = CollectorRegistry()

    def gauge(name: str, doc: str, labels: list[str] = LABELS) -> Gauge:
        return Gauge(PREFIX + name, doc, labels, registry=reg)

    success = gauge("success", "1 if the probe produced valid tokens in time")
    verdict = gauge("verdict", "1 for the verdict of the last probe", [*LABELS, "verdict"])
    ttft = gauge("ttft_seconds", "Time to first token")
    itl = gauge("itl_max_seconds", "Largest inter-token gap")
    e2e = gauge("duration_seconds", "Whole probe, connect included")
    toks = gauge("tokens", "Tokens received")
    fails = gauge("consecutive_failures", "Hysteresis counter")
    cordoned = gauge("cordoned", "1 if diagctl holds the node cordoned")
    for r in results:
        lab = [redact.text(v) for v in (r.target, r.node, r.group, r.model)]
        ok = r.verdict in (Verdict.HEALTHY, Verdict.SLOW)
        success.labels(*lab).set(1 if ok else 0)
        for v in Verdict:
            verdict.labels(*lab, v.value).set(1 if r.verdict is v else 0)
        if r.timings.ttft_ms is not None:
            ttft.labels(*lab).set(r.timings.ttft_ms / 1000)
        if r.timings.itl_ms_max is not None:
            itl.labels(*lab).set(r.timings.itl_ms_max / 1000)
        e2e.labels(*lab).set(r.timings.e2e_ms / 1000)
        toks.labels(*lab).set(r.timings.tokens)
        fails.labels(*lab).set(r.state.consecutive_fail)
        cordoned.labels(*lab).set(1 if r.state.cordoned_by_us else 0)
    return generate_latest(reg)


def write(path: Path, results: list[ProbeData]) -> None:
    atomic_write(path, render(results))
