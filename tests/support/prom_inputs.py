"""Envelopes that exercise every row of the Prometheus metric catalogue, built from the models
(and, for health, from real gpu.xid / gpu.memory findings of tests/fixtures/checks)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from schemas.envelope import Envelope, ErrorCode, ErrorInfo, Finding, HostRef, Status, Summary
from schemas.probe import (
    ActionKind,
    ActionResult,
    AuditRecord,
    NodeState,
    ProbeData,
    Timings,
    Verdict,
)
from tests.support.envelopes import envelope

FIXTURES = Path(__file__).parents[1] / "fixtures" / "checks"
HOSTILE = 'gpu "7"\nrack\\2 \u00e9\u4e2d\x1b[31m'  # quotes, newline, backslash, unicode, ESC


def fixture_findings(check: str, case: str) -> list[Finding]:
    doc = json.loads((FIXTURES / check / case / "expected.json").read_text())
    return [Finding.model_validate(f) for f in doc]


def _health(name: str, at: str, findings: list[Finding], status: Status, **kw: Any) -> Envelope:
    return envelope(
        kind="health.l1",
        host=HostRef(name=name, host_id=f"SN-{name}", hostname=name),
        status=status,
        collected_at=at,
        duration_ms=1234,
        findings=findings,
        summary=Summary(total=len(findings), fail=sum(f.status is Status.FAIL for f in findings)),
        data={"host_class": "dgx-h100", "facts": {"kernel": "6.8.0-45-generic"}},
        **kw,
    )


def health_envelopes() -> list[Envelope]:
    gpu = [
        *fixture_findings("gpu.xid", "xid13_repeated"),
        *fixture_findings("gpu.memory", "remap_pending"),
        Finding(check_id="host.disk_space", status=Status.WARN, entity="/var"),
        Finding(check_id="host.disk_space", status=Status.PASS, entity="/"),
    ]
    old = _health("gpu-node-1", "2026-11-22T19:00:00Z", [], Status.PASS)
    new = _health("gpu-node-1", "2026-11-22T20:00:00Z", gpu, Status.FAIL)
    down = _health(
        "gpu-node-2", "2026-11-22T20:00:01Z", [], Status.UNREACHABLE,
        errors=[ErrorInfo(code=ErrorCode.TIMEOUT, message="connect timeout after 3 s")],
    )  # fmt: skip
    hostile = _health(HOSTILE, "2026-11-22T20:00:02Z", [], Status.PASS)
    return [old, new, down, hostile]


def _probe(target: str, node: str, verdict: Verdict, **kw: Any) -> Envelope:
    data = ProbeData(target=target, url="http://10.0.0.7:8000", model="tiny", node=node,
                     group="gpu", verdict=verdict, **kw)  # fmt: skip
    return envelope(kind="probe.result", host=HostRef(name=target, hostname=node),
                    status=Status.PASS, collected_at="2026-11-22T20:01:00Z",
                    data=data.model_dump(mode="json"))  # fmt: skip


def probe_envelopes() -> list[Envelope]:
    timings = Timings(ttft_ms=3.412, itl_ms_max=1.056, e2e_ms=20, tokens=8)
    healthy = _probe("llama-a", "gpu-node-1", Verdict.HEALTHY, timings=timings)
    zombie = _probe(
        "llama-z", "gpu-node-3", Verdict.ZOMBIE, timings=Timings(e2e_ms=10000),
        state=NodeState(consecutive_fail=3), action=ActionKind.CORDON,
        action_result=ActionResult.BLOCKED,
    )  # fmt: skip
    rec = AuditRecord(at="2026-11-22T20:01:05Z", who="sre@jump1 pid 7", action=ActionKind.BREAKER,
                      group="gpu", result=ActionResult.BLOCKED, dry_run=False)  # fmt: skip
    audit = envelope(kind="probe.audit", host=HostRef(name="group:gpu"), status=Status.FAIL,
                     collected_at=rec.at, data=rec.model_dump(mode="json"))  # fmt: skip
    return [healthy, zombie, audit, audit]


def tool_envelopes() -> list[Envelope]:
    data = {"path": "/var/tmp/b.tar.gz", "sha256": "ab" * 32, "bytes": 52428800,
            "artifacts": ["dmesg.txt", "nvidia-smi-q.txt"], "complete": True}  # fmt: skip
    bundle = envelope(kind="bundle", host=HostRef(name="gpu-node-1"), status=Status.PASS,
                      collected_at="2026-11-22T20:02:00Z", data=data)  # fmt: skip
    reset = envelope(kind="reset_reason", host=HostRef(name="gpu-node-1"), status=Status.WARN,
                     collected_at="2026-11-22T20:03:00Z",
                     data={"reason": "watchdog", "confidence": 0.8})  # fmt: skip
    odd = envelope(kind="reset_reason", host=HostRef(name="gpu-node-2"), status=Status.WARN,
                   collected_at="2026-11-22T20:03:00Z",
                   data={"reason": "The BMC said: power lost!", "confidence": "high"})  # fmt: skip
    unknown = envelope(kind="airgap.check", host=HostRef(name="gpu-node-1"))
    return [bundle, reset, odd, unknown]


def fleet() -> list[Envelope]:
    return [*health_envelopes(), *probe_envelopes(), *tool_envelopes()]


def jsonl(envs: list[Envelope]) -> bytes:
    return b"".join(e.model_dump_json().encode() + b"\n" for e in envs)
