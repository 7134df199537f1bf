"""Envelopes of one run for the HTML report tests: health (a failing GPU, a hostile host name),
probe results over three rounds, a reset reason and a Model-Unit capacity."""

from __future__ import annotations

from typing import Any

from schemas.envelope import Action, Envelope, Finding, HostRef, Status
from tests.support.envelopes import envelope

HOSTILE = '<img src="http://127.0.0.1:9/leak">\x1b]8;;x\x07'
UUID = "GPU-00000001-0000-4000-8000-000000000001"


def _f(check: str, status: Status, action: Action = Action.NONE, entity: str = "") -> Finding:
    return Finding(
        check_id=check,
        status=status,
        action=action,
        entity=entity,
        message=f"{check} {status.value}",
    )


def health(name: str, status: Status, findings: list[Finding]) -> Envelope:
    return envelope(
        host=HostRef(name=name),
        status=status,
        findings=findings,
        collected_at="2026-11-30T01:00:00Z",
    )


def probe(at: str, verdict: str, ttft: float | None) -> Envelope:
    data: dict[str, Any] = {"target": "llama-1", "verdict": verdict, "timings": {"ttft_ms": ttft}}
    return envelope(
        kind="probe.result", host=HostRef(name="gpu-node-1"), collected_at=at, data=data
    )


def run() -> list[Envelope]:
    return [
        health(
            "gpu-node-1",
            Status.FAIL,
            [
                _f("gpu.memory", Status.FAIL, Action.RESET, UUID),
                _f("host.clock_sync", Status.WARN),
                _f("gpu.xid", Status.PASS),
            ],
        ),
        health(
            "gpu-node-2",
            Status.PASS,
            [_f("gpu.memory", Status.PASS), _f("host.clock_sync", Status.PASS)],
        ),
        health(HOSTILE, Status.FAIL, [_f("gpu.xid", Status.FAIL, Action.ISOLATE, HOSTILE)]),
        probe("2026-11-30T01:00:00Z", "healthy", 180.0),
        probe("2026-11-30T01:05:00Z", "slow", 2400.0),
        probe("2026-11-30T01:10:00Z", "zombie", None),
        envelope(
            kind="reset_reason",
            host=HostRef(name="gpu-node-1"),
            collected_at="2026-11-30T00:30:00Z",
            data={"reason": f"watchdog {HOSTILE}"},
        ),
        envelope(
            kind="reset_reason",
            host=HostRef(name="gpu-node-2"),
            status=Status.UNKNOWN,
            data={"reason": 7},
        ),
        envelope(
            kind="mu.capacity",
            host=HostRef(name="gpu-node-1"),
            data={"mu_per_s": 40, "mu_used_per_s": 30},
        ),
    ]
