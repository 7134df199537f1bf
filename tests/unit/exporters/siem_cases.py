"""Envelopes of every kind the SIEM export maps, with hostile text (quotes, newlines, unicode,
an escape sequence, a credential) where a host or endpoint could put it."""

from __future__ import annotations

from typing import Any

from schemas.envelope import (
    Action,
    Envelope,
    ErrorCode,
    ErrorInfo,
    Finding,
    HostRef,
    Severity,
    Status,
    Summary,
)  # fmt: skip
from tests.support.envelopes import envelope

HOST = HostRef(name="gpu-01", address="10.0.0.7", host_id="SN-1", hostname="gpu-01.lab")
HOSTILE = 'say "hi"\nnext line ü ✓ \x1b[31m] \\ end'
AUDIT_LINE = (
    '{"at":"2026-03-01T10:00:05Z","who":"sre@jump pid 7","action":"cordon","node":"gpu-02",'
    '"group":"default","backend":"slurm","why":"zombie 3 rounds","evidence":{"rounds":3},'
    '"dry_run":false,"result":"done","message":"scontrol update nodename=gpu-02 state=drain"}'
)


def _finding(check: str, status: Status, **kw: Any) -> Finding:
    return Finding(check_id=check, status=status, **kw)


def health() -> Envelope:
    return envelope(
        host=HOST, status=Status.FAIL, collected_at="2026-03-01T10:00:00Z",
        summary=Summary(total=3, passed=1, warn=1, fail=1),
        findings=[
            _finding("host.disk", Status.PASS, message="ok"),
            _finding("gpu.memory", Status.FAIL, severity=Severity.HIGH, entity="GPU-abc",
                     observed={"dbe": 2}, threshold={"max_dbe": 0}, threshold_source="policy",
                     message="2 uncorrectable ECC errors > 0", action=Action.RESET,
                     evidence=["dbe=2"]),
            _finding("host.clock_sync", Status.WARN, severity=Severity.MEDIUM,
                     message=HOSTILE + " token=s3cr3tvalue", action=Action.MONITOR),
        ],
        errors=[ErrorInfo(code=ErrorCode.TOOL_MISSING, message="nvidia-smi missing")],
    )  # fmt: skip


def probe() -> Envelope:
    data = {
        "target": "llm-1", "url": "http://10.0.0.8:8000", "model": "m", "node": "gpu-02",
        "group": "default", "verdict": "zombie", "reason": "no token in 10 s",
        "timings": {"http_status": 200, "ttft_ms": None, "e2e_ms": 10000},
        "action": "cordon", "action_result": "planned", "action_message": "would drain gpu-02",
        "dry_run": True, "backend": "slurm",
    }  # fmt: skip
    return envelope(kind="probe.result", host=HostRef(name="llm-1"), status=Status.FAIL,
                    collected_at="2026-03-01T10:00:01Z", data=data)  # fmt: skip


def others() -> list[Envelope]:
    at = "2026-03-01T10:00:02Z"
    return [
        envelope(kind="bundle", host=HOST, status=Status.PASS, ok=True, collected_at=at,
                 data={"path": "/var/tmp/b.tar.zst", "sha256": "ab" * 32, "bytes": 1234,
                       "complete": True}),
        envelope(kind="reset_reason", host=HOST, status=Status.WARN, collected_at=at,
                 data={"reason": "gpu_xid_79", "confidence": "high",
                       "evidence": ["NVRM: Xid (PCI:0000:17:00): 79, GPU has fallen off"]}),
        envelope(kind="bundle", host=HOST, status=Status.ERROR, collected_at=at,
                 data={"path": 7, "bytes": "many"}),
        envelope(kind="lifecycle.phase", host=HOST, status=Status.PASS, ok=True,
                 collected_at=at),
    ]  # fmt: skip


def all_envelopes() -> list[Envelope]:
    return [health(), probe(), *others()]


def jsonl() -> bytes:
    lines = [e.model_dump_json() for e in all_envelopes()]
    return ("\n".join([*lines[:2], AUDIT_LINE, *lines[2:]]) + "\n").encode()
