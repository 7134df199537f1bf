"""Every scenario under tests/fixtures/reset/ judged through the replay transport: the WHOLE
`data` and `findings` of its envelope against expected.json (`pytest --regen` rewrites it)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from diag.artifacts import host_dir
from diag.reset_reason import ResetOptions, reset_host
from diag.transport.replay import ReplayTransport
from tests.support.reset_cases import cases, payload_doc, write_expected

REASONS = {
    "planned_reboot", "planned_shutdown", "kernel_panic", "watchdog_reset", "hardware_fault",
    "gpu_fault_then_reset", "firmware_update", "power_loss", "unknown",
}  # fmt: skip


def judged(case: Path, tmp: Path) -> dict[str, Any]:
    raw = host_dir(tmp, case.name) / "raw"
    raw.mkdir(parents=True)
    (raw / "payload.json").write_text(json.dumps(payload_doc(case)) + "\n")
    rt = ReplayTransport(tmp)
    run = asyncio.run(reset_host(rt, rt.target(case.name), ResetOptions()))
    env = run.envelope.model_dump(mode="json")
    assert env["kind"] == "reset_reason" and env["replayed"]["source"] == str(tmp.resolve())
    return {"data": env["data"], "findings": env["findings"], "status": env["status"]}


@pytest.mark.parametrize("case", cases(), ids=lambda p: p.name)
def test_case(case: Path, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    got = judged(case, tmp_path)
    if request.config.getoption("--regen"):
        write_expected(case, got)
    want = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    assert got == want


def test_every_reason_has_a_case() -> None:
    seen = {json.loads((c / "expected.json").read_text())["data"]["reason"] for c in cases()}
    assert seen == REASONS
