"""Every check over its recorded cases in tests/fixtures/checks/<check_id>/<case>/: the whole list
of findings (status, severity, entity, observed, threshold, message, action, evidence) must equal
expected.json. `pytest tests/unit/checks --regen` rewrites expected.json; review the diff.

`real_*` cases are captures the payload took on real hosts (a Debian 12 VM, an H100 machine),
scrubbed; the others are edits of them (tests/fixtures/gpu/make_cases.py) and garbage.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from diag.checks import REGISTRY
from tests.support.check_cases import (
    FIXTURES,
    GARBAGE_PREFIXES,
    REAL_PREFIX,
    cases,
    run_case,
    write_expected,
)

CASES = cases()


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_check_over_recorded_case(case: Path, request: pytest.FixtureRequest) -> None:
    got = run_case(case)
    if request.config.getoption("--regen"):
        write_expected(case, got)
    want = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    assert got == want
    for f in got:
        assert f["check_id"] == case.parent.name
        assert f["threshold_source"], "every finding names where its threshold comes from"


def test_every_registered_check_has_a_real_and_a_garbage_case() -> None:
    """A check registered without fixtures fails here, not in production."""
    missing = []
    for check_id in REGISTRY:
        names = {p.name for p in (FIXTURES / check_id).glob("*") if (p / "case.json").exists()}
        if not any(n.startswith(REAL_PREFIX) for n in names):
            missing.append(f"{check_id}: no {REAL_PREFIX}* case")
        if not any(n.startswith(GARBAGE_PREFIXES) for n in names):
            missing.append(f"{check_id}: no garbage/truncated/empty case")
    assert missing == []


def test_no_case_for_an_unregistered_check() -> None:
    assert sorted({p.parent.name for p in CASES} - set(REGISTRY)) == []


def test_registry_keys_are_the_check_ids() -> None:
    assert [(k, c.id) for k, c in REGISTRY.items() if k != c.id] == []
