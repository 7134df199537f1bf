"""The metric catalogue: every name `diagctl export prometheus` writes, its type, help and labels.

One `diagctl_` prefix, base units (seconds, bytes), `_total` only on counters, `_info` for
metadata (value 1, the facts in labels). Labels are bounded: host names, check ids, GPU UUIDs,
enum values (status, action, verdict, error code), probe target/node/group/model from the
targets file. Free text (messages, evidence, reasons, paths, hashes) is never a label.

A `Sample` is one series: name, label values in the catalogue's order, value. Samples are
collected into a `SampleSet`; the renderer turns a set into the text exposition format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

MetricType = Literal["gauge", "counter"]
PROBE_LABELS = ("target", "node", "group", "model")


@dataclass(frozen=True)
class Metric:
    type: MetricType
    help: str
    labels: tuple[str, ...]


CATALOGUE: dict[str, Metric] = {
    # every envelope kind
    "diagctl_last_run_timestamp_seconds": Metric(
        "gauge", "Unix time the newest envelope of this kind and host was collected",
        ("kind", "host")),
    "diagctl_run_duration_seconds": Metric(
        "gauge", "How long that run took for this host", ("kind", "host")),
    "diagctl_host_status": Metric(
        "gauge", "1 for the host's status in its newest envelope of this kind, 0 for the others",
        ("kind", "host", "status")),
    "diagctl_envelope_errors": Metric(
        "gauge", "Errors of the newest envelope by code", ("kind", "host", "code")),
    "diagctl_envelope_truncated": Metric(
        "gauge", "1 if the newest envelope was cut to its byte cap", ("kind", "host")),
    # health.l1
    "diagctl_host_info": Metric(
        "gauge", "Host identity and software; value 1",
        ("host", "host_id", "hostname", "host_class", "kernel", "tool_version")),
    "diagctl_host_findings": Metric(
        "gauge", "Findings of the newest health run by status", ("host", "status")),
    "diagctl_check_status": Metric(
        "gauge", "1 for the worst status of this check on this host (only the current status)",
        ("host", "check", "status")),
    "diagctl_gpu_status": Metric(
        "gauge", "1 for the worst status of this GPU check on this GPU (only the current status)",
        ("host", "gpu", "check", "status")),
    "diagctl_gpu_action": Metric(
        "gauge", "1 for the remediation this GPU needs (worst over its checks), 0 for the others",
        ("host", "gpu", "action")),
    "diagctl_gpu_xid": Metric(
        "counter", "Xid/SXid events in the kernel log (this and the previous boot) by the "
        "remediation class the XID policy gave them; drops when the log rotates (a reset)",
        ("host", "gpu", "action")),
    "diagctl_gpu_xid_code": Metric(
        "gauge", "1 for each Xid/SXid code present in the kernel log", ("host", "gpu", "code")),
    # probe.result (the names `probe run --prom` writes)
    "diagctl_probe_success": Metric(
        "gauge", "1 if the probe produced valid tokens in time", PROBE_LABELS),
    "diagctl_probe_verdict": Metric(
        "gauge", "1 for the verdict of the last probe", (*PROBE_LABELS, "verdict")),
    "diagctl_probe_ttft_seconds": Metric("gauge", "Time to first token", PROBE_LABELS),
    "diagctl_probe_itl_max_seconds": Metric("gauge", "Largest inter-token gap", PROBE_LABELS),
    "diagctl_probe_duration_seconds": Metric(
        "gauge", "Whole probe, connect included", PROBE_LABELS),
    "diagctl_probe_tokens": Metric("gauge", "Tokens received", PROBE_LABELS),
    "diagctl_probe_consecutive_failures": Metric("gauge", "Hysteresis counter", PROBE_LABELS),
    "diagctl_probe_cordoned": Metric(
        "gauge", "1 if diagctl holds the node cordoned", PROBE_LABELS),
    "diagctl_breaker_tripped": Metric(
        "gauge", "1 if the blast-radius breaker blocked a cordon in this group's newest round",
        ("group",)),
    # probe.audit
    "diagctl_probe_actions": Metric(
        "counter", "Cordon, uncordon, restart and breaker records (probe.audit envelopes or "
        "probe run --audit lines) by action and result", ("group", "action", "result")),
    "diagctl_breaker_last_trip_timestamp_seconds": Metric(
        "gauge", "Unix time of the newest breaker record of this group", ("group",)),
    # bundle
    "diagctl_bundle_bytes": Metric("gauge", "Size of the newest L2 bundle", ("host",)),
    "diagctl_bundle_artifacts": Metric("gauge", "Artifacts in the newest L2 bundle", ("host",)),
    "diagctl_bundle_complete": Metric(
        "gauge", "1 if the newest L2 bundle is complete", ("host",)),
    # reset_reason
    "diagctl_reset_reason": Metric(
        "gauge", "1 for the reason the host last reset, as reset-reason judged it",
        ("host", "reason")),
    "diagctl_reset_reason_confidence": Metric(
        "gauge", "Confidence of that reason, 0 to 1", ("host", "reason")),
    # lifecycle.transition, lifecycle.action, mu.report
    "diagctl_lifecycle_phase": Metric(
        "gauge", "1 for the phase the host's newest lifecycle transition moved it to",
        ("host", "phase")),
    "diagctl_lifecycle_actions": Metric(
        "gauge", "Lifecycle action records in the input by action and result",
        ("action", "result")),
    "diagctl_mu_capacity_per_second": Metric(
        "gauge", "Model Units a group serves per second (newest mu.report)", ("group",)),
    "diagctl_mu_headroom_ratio": Metric(
        "gauge", "Share of that capacity left, 0 to 1 (newest mu.report)", ("group",)),
    # the export itself
    "diagctl_export_envelopes": Metric(
        "gauge", "Inputs of this export: exported, skipped_bad (not an envelope), "
        "skipped_kind (a kind with no metrics)", ("result",)),
    "diagctl_push_spool_pending": Metric(
        "gauge", "Pushes waiting in the spool for the Pushgateway", ()),
    "diagctl_push_spool_dropped": Metric(
        "counter", "Spooled pushes dropped, oldest first, because the spool was full", ()),
}  # fmt: skip


def exposed_names(name: str) -> tuple[str, ...]:
    """The sample names a metric appears under in the text format (a counter gains `_total`)."""
    return (name + "_total",) if CATALOGUE[name].type == "counter" else (name,)


@dataclass
class SampleSet:
    """Series by (name, label values). A gauge keeps the last value set, a counter adds up."""

    series: dict[str, dict[tuple[str, ...], float]] = field(default_factory=dict)

    def add(self, name: str, labels: tuple[str, ...], value: float) -> None:
        spec = CATALOGUE[name]
        if len(labels) != len(spec.labels):
            raise ValueError(f"{name}: {len(labels)} label values for {spec.labels}")
        family = self.series.setdefault(name, {})
        if spec.type == "counter":
            value += family.get(labels, 0.0)
        family[labels] = value

    def bump(self, name: str, labels: tuple[str, ...], by: float = 1.0) -> None:
        """Add to a series whatever its type: a count over the envelopes of the input."""
        self.add(name, labels, self.series.get(name, {}).get(labels, 0.0) + by)

    def at_least(self, name: str, labels: tuple[str, ...], value: float) -> None:
        """Keep the larger value: "1 if any envelope says so"."""
        self.add(name, labels, max(value, self.series.get(name, {}).get(labels, value)))
