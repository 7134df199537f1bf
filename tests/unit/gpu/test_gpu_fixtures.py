"""Every GPU fixture case: the recorded payload through the real checks → required verdicts.

h100_real/ and no_gpu/ are real captures (an H100 on the device machine; this CI VM). The other
cases are the real H100 payload with one capture edited (tests/fixtures/gpu/make_cases.py says
how): a GPU cannot be made to lose a row or fall off the bus on demand.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from diag.checks import REGISTRY, Context
from diag.health import HealthOptions, run_checks
from diag.policy import Policy
from schemas.envelope import Action, Status
from schemas.payload import PayloadOutput

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "gpu"
CASES = sorted(p.parent.name for p in FIXTURES.glob("*/expected.json"))
STATUS_ORDER = [Status.PASS, Status.UNKNOWN, Status.WARN, Status.ERROR, Status.FAIL]


def run_case(case: str) -> tuple[dict[str, object], list]:  # type: ignore[type-arg]
    d = FIXTURES / case
    expected = json.loads((d / "expected.json").read_text())
    doc = PayloadOutput.model_validate_json((d / "payload.json").read_text())
    policy = Policy.load(d / "policy.yaml" if (d / "policy.yaml").exists() else None)
    ctx = Context(
        cpu_count=1, host_class=expected.get("host_class", ""), extra=expected.get("extra", {})
    )
    findings, _, _errors = run_checks(doc.captures, HealthOptions(policy=policy), ctx)
    return expected, findings


@pytest.mark.parametrize("case", CASES)
def test_gpu_fixture_case(case: str) -> None:
    expected, findings = run_case(case)
    crashed = {f.check_id for f in findings if f.status is Status.ERROR}
    assert crashed == set(expected.get("errors", [])), f"checks crashed: {crashed}"
    for check_id, want in expected["expect"].items():
        mine = [f for f in findings if f.check_id == check_id]
        assert mine, f"{check_id}: no finding"
        worst = max((f.status for f in mine), key=STATUS_ORDER.index)
        action = max((f.action for f in mine), key=list(Action).index)
        text = " | ".join(f.message for f in mine)
        assert (worst.value, action.value) == (want[0], want[1]), f"{check_id}: {text}"
        if len(want) > 2:
            assert want[2] in text, f"{check_id}: {want[2]!r} not in {text!r}"
    for f in findings:
        if f.check_id.startswith("gpu.") or f.check_id in REGISTRY:
            assert f.threshold_source, f"{f.check_id} has no threshold_source"


def test_every_gpu_check_has_a_fixture_verdict() -> None:
    covered = set()
    for case in CASES:
        covered |= set(json.loads((FIXTURES / case / "expected.json").read_text())["expect"])
    gpu_ids = {c for c in REGISTRY if c.startswith("gpu.")} | {
        "host.systemd_failed",
        "host.fabric_manager",
        "host.network",
    }
    assert gpu_ids <= covered, gpu_ids - covered
