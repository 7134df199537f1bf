"""Every check over recorded captures in tests/fixtures/checks/<check_id>/<case>/.

`real_*` cases are captures taken on a real Debian 12 host by the payload (scrubbed); the others
are edge cases and garbage. One parametrized test over all of them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from diag.checks import REGISTRY, Context
from diag.health import HealthOptions, run_checks
from diag.policy import Policy
from schemas.payload import Capture

FIXTURES = Path(__file__).parents[2] / "fixtures" / "checks"
FOUNDATION = (
    "host.cpu_load",
    "host.mem_available",
    "host.mem_pressure",
    "host.disk_space",
    "host.readonly_mounts",
    "host.kernel_taint",
    "host.oom_kills",
    "host.clock_sync",
)
CASES = sorted(p.parent for p in FIXTURES.glob("*/*/input.json"))


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_check_over_recorded_capture(case: Path) -> None:
    check_id = case.parent.name
    doc = json.loads((case / "input.json").read_text())
    caps = {k: Capture.model_validate(v) for k, v in doc["captures"].items()}
    opts = HealthOptions(policy=Policy.load(), checks=[REGISTRY[check_id]])
    findings, runs, _errors = run_checks(caps, opts, Context(cpu_count=doc["cpu_count"]))
    got = [
        {"status": f.status.value, "entity": f.entity, "action": f.action.value} for f in findings
    ]
    assert got == json.loads((case / "expected.json").read_text())
    assert [r.check_id for r in runs] == [check_id]
    for f in findings:
        assert f.threshold_source, "every finding names where its threshold comes from"
        assert f.check_id == check_id


def test_every_host_check_has_a_real_and_a_garbage_case() -> None:
    """GPU checks have whole-host cases instead (tests/fixtures/gpu/, tests/unit/gpu/)."""
    for check_id in (c for c in REGISTRY if (FIXTURES / c).is_dir() or c in FOUNDATION):
        names = {p.name for p in (FIXTURES / check_id).iterdir()}
        assert any(n.startswith("real_") for n in names), check_id
        assert any(n in ("garbage", "empty", "truncated", "old_kernel") for n in names), check_id
