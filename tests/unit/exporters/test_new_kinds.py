"""The lifecycle registry's and Model Units' envelope kinds, one entry in each exporter's table:
Prometheus samples, SIEM events and the CMDB record, pinned whole; a field of the wrong type
yields nothing for that field, never a crash."""

from __future__ import annotations

from typing import Any

import pytest

from exporters.cmdb.assets import assets
from exporters.prometheus.render import collect
from exporters.siem.events import project
from schemas.envelope import Envelope, HostRef, Status


def env(kind: str, data: dict[str, Any], host: str = "gpu-node-1") -> Envelope:
    return Envelope(kind=kind, tool_version="t", host=HostRef(name=host), ok=True,
                    status=Status.PASS, collected_at="2026-11-30T00:00:00Z", duration_ms=5,
                    data=data)  # fmt: skip


TRANSITION = env("lifecycle.transition", {"from_phase": "burn_in", "to_phase": "production",
                                          "who": "ops", "why": "passed"})  # fmt: skip
ACTION = env("lifecycle.action", {"action": "drain", "result": "done", "who": "ops"})
MU = env("mu.report", {"groups": [
    {"node": "gpu-node-1", "model": "llama-70b", "capacity_mu_per_s": 120.5, "headroom_pct": 25},
    {"group": "tenant-a", "capacity": 40, "headroom_ratio": 0.5},
    {"node": "gpu-node-2", "capacity_mu_per_s": "many"},  # wrong type: no capacity
    "not a group",
]})  # fmt: skip


def samples(*envs: Envelope) -> dict[str, dict[tuple[str, ...], float]]:
    keep = ("diagctl_lifecycle", "diagctl_mu_")
    got = collect(list(envs)).samples.series
    return {k: v for k, v in got.items() if k.startswith(keep)}


def test_prometheus_rows() -> None:
    assert samples(TRANSITION, ACTION, ACTION, MU) == {
        "diagctl_lifecycle_phase": {("gpu-node-1", "production"): 1.0},
        "diagctl_lifecycle_actions": {("drain", "done"): 2.0},
        "diagctl_mu_capacity_per_second": {("llama-70b/gpu-node-1",): 120.5, ("tenant-a",): 40.0},
        "diagctl_mu_headroom_ratio": {("llama-70b/gpu-node-1",): 0.25, ("tenant-a",): 0.5},
    }


def test_siem_events() -> None:
    (change,) = project(TRANSITION)
    assert (change.type, change.title, change.message, change.fields) == (
        "state_change",
        "lifecycle burn_in -> production",
        "gpu-node-1: lifecycle phase burn_in -> production",
        {"from": "burn_in", "to": "production", "who": "ops", "why": "passed"},
    )
    (act,) = project(ACTION)
    assert (act.type, act.action, act.outcome, act.message) == (
        "audit", "drain", "success", "gpu-node-1: lifecycle action drain: done",
    )  # fmt: skip
    assert [e.type for e in project(MU)] == ["host_run"]


def test_cmdb_record() -> None:
    (rec,) = assets([TRANSITION, MU])
    assert (rec.name, rec.lifecycle_phase, rec.mu_capacity) == ("gpu-node-1", "production", 120.5)


@pytest.mark.parametrize(
    "data",
    [{}, {"to_phase": 3}, {"groups": "x"}, {"groups": [None, {"headroom_pct": "x"}]},
     {"action": ["x"]}],
)  # fmt: skip
def test_wrong_types_read_as_nothing(data: dict[str, Any]) -> None:
    envs = [env(k, data) for k in ("lifecycle.transition", "lifecycle.action", "mu.report")]
    got = samples(*envs)
    actions = got.pop("diagctl_lifecycle_actions", {})
    assert got == {}
    assert actions in ({}, {("other", "done"): 1.0})  # a non-word action is `other`
    assert [e.type for e in project(envs[0])] == ["state_change"]
    assert [r.lifecycle_phase for r in assets(envs)] == [""]


def test_a_real_mu_report_envelope_feeds_the_capacity_and_headroom_gauges() -> None:
    """`mu report`'s own output (a golden of tests/unit/mu): groups carry `keys` and
    `capacity_mu` / `headroom_mu` over the report's window, here 60 s."""
    import json
    from pathlib import Path

    golden = Path(__file__).resolve().parents[2] / "fixtures" / "mu" / "golden"
    doc = json.loads((golden / "vllm_counters.json").read_text())  # volatile fields left out
    doc.update(tool_version="t", collected_at="2026-12-01T10:03:00Z", duration_ms=1)
    report = Envelope.model_validate(doc)
    assert samples(report) == {
        "diagctl_mu_capacity_per_second": {("gpu-1",): 2.0, ("gpu-2",): 8.0},
        "diagctl_mu_headroom_ratio": {("gpu-1",): 119.475 / 120, ("gpu-2",): 476.4 / 480},
    }


@pytest.mark.parametrize(
    "span,seconds",
    [({"bucket": "1h"}, 3600.0), ({"bucket": "15min"}, 900.0), ({"bucket": "1d"}, 86400.0),
     ({"bucket": "0h"}, None), ({"bucket": "fortnight"}, None), ({"bucket": "5"}, None),
     ({"window_start": "2026-12-01T10:05:00Z", "window_end": "2026-12-01T10:06:00Z"}, 60.0),
     ({"window_start": "2026-12-01T10:05:00Z", "window_end": "2026-12-01T10:05:00Z"}, None),
     ({"window_start": "yesterday", "window_end": "2026-12-01T10:05:00Z"}, None), ({}, None)],
)  # fmt: skip
def test_the_span_a_group_covers(span: dict[str, Any], seconds: float | None) -> None:
    from exporters.kinds_read import span_seconds

    assert span_seconds(span) == seconds


def test_a_registry_action_row_says_its_outcome() -> None:
    """The registry's HistoryEntry (schemas/lifecycle.py) names the result `outcome`."""
    data = {"id": 7, "host_id": "h", "entry": "action", "at": "t", "who": "ops",
            "action": "burn_in", "outcome": "fail"}  # fmt: skip
    row = env("lifecycle.action", data)
    assert samples(row) == {"diagctl_lifecycle_actions": {("burn_in", "fail"): 1.0}}
    (event,) = project(row)
    assert (event.outcome, event.fields["result"]) == ("failure", "fail")


def test_lifecycle_status_feeds_the_cmdb_phase_and_the_phase_gauge() -> None:
    """`diagctl lifecycle status` emits lifecycle.asset (schemas/lifecycle.py Asset)."""
    asset = env("lifecycle.asset", {"host_id": "SN1", "name": "gpu-node-1", "phase": "retire",
                                    "version": 4})  # fmt: skip
    (rec,) = assets([asset])
    assert (rec.name, rec.lifecycle_phase) == ("gpu-node-1", "retire")
    assert samples(asset) == {"diagctl_lifecycle_phase": {("gpu-node-1", "retire"): 1.0}}
