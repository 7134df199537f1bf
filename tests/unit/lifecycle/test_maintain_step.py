"""`lifecycle maintain --step`: what each step needs before anything is touched, and the
intents file the `intent` step builds (the same bytes `maintain` leaves on the host)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from diag.errors import UsageError
from diag.transport.base import Target
from lifecycle.maintain_step import StepRequest, check, intent_bytes

T = Target(name="m1", address="127.0.0.1")


@pytest.mark.parametrize(
    "req,act,n,error",
    [
        (StepRequest("drain"), True, 1, ""),
        (StepRequest("drain"), True, 2, "--step runs for one host; -H/-i --limit name 2"),
        (StepRequest("drain"), True, 0, "--step runs for one host; -H/-i --limit name 0"),
        (StepRequest("drain"), False, 1,
         "--step drain changes the registry and scheduler: add --act"),
        (StepRequest("precheck"), True, 1, "--step precheck needs --snapshot"),
        (StepRequest("postcheck"), True, 1, "--step postcheck needs --snapshot"),
        (StepRequest("intent"), False, 1, "--step intent needs --boot-id"),
        (StepRequest("intent", boot_id="b"), False, 1, ""),
        (StepRequest("command"), True, 1, "--step command needs --rc"),
        (StepRequest("command", rc=0), True, 1, ""),
        (StepRequest("fail"), True, 1, "--step fail needs --failed-step"),
        (StepRequest("fail", failed_step="drain"), True, 1,
         "--failed-step 'drain': one of reboot_intent, command, return"),
        (StepRequest("fail", failed_step="return"), True, 1, ""),
    ],
)  # fmt: skip
def test_check_refuses_what_a_step_lacks(req: StepRequest, act: bool, n: int, error: str) -> None:
    if not error:
        check(req, act, [T] * n)
        return
    with pytest.raises(UsageError) as exc:
        check(req, act, [T] * n)
    assert str(exc.value) == error


def test_postcheck_without_a_precheck_snapshot_is_refused(tmp_path: Path) -> None:
    snap = tmp_path / "m1.precheck.json"
    with pytest.raises(UsageError) as exc:
        check(StepRequest("postcheck", snapshot=snap), True, [T])
    assert str(exc.value) == f"--snapshot {snap}: no pre-check here (--step precheck)"


def test_intent_appends_one_record_to_the_valid_old_ones(monkeypatch: Any) -> None:
    monkeypatch.setattr("lifecycle.registry.store.actor", lambda: "op@jump pid 7")
    monkeypatch.setattr("diag.envelope.utc_now", lambda: "2026-01-02T03:04:05.000Z")
    old = (b'{"at":"2025-01-01T00:00:00.000Z","action":"reboot","boot_id":"b0",'
           b'"requested_by":"x","reason":"r"}\nnot json\n')  # fmt: skip
    ctx: Any = SimpleNamespace(args=SimpleNamespace(reason="driver 550"))
    got = intent_bytes(T, ctx, StepRequest("intent", boot_id="b1" + "x" * 80, stdin=old))
    lines = got.decode().splitlines()
    assert got.endswith(b"\n") and len(lines) == 2
    assert json.loads(lines[0])["boot_id"] == "b0"
    assert json.loads(lines[1]) == {
        "at": "2026-01-02T03:04:05.000Z", "action": "reboot", "boot_id": "b1" + "x" * 62,
        "requested_by": "diagctl lifecycle maintain (op@jump pid 7)", "reason": "driver 550",
        "run_id": "", "schema_version": 1,
    }  # fmt: skip
