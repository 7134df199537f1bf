"""Per-host work a fleet run does once: the payload bytes (the same for every host of a run)
and the policy's per-check lookup (no model built for a check the policy lists)."""

from __future__ import annotations

import pytest

import diag.policy
from diag.checks import REGISTRY, sources_for
from diag.hostcheck import HealthOptions, payload_of
from diag.payload import SH_ARGV, build_python, build_sh, payload_deadline
from diag.policy import Policy


def test_the_payload_is_built_once_per_run_and_is_the_builders(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    opts = HealthOptions(policy=Policy.load(), command=SH_ARGV, timeout_s=12.0)
    want = build_sh(sources_for(opts.checks), payload_deadline(12.0))
    calls: list[int] = []
    real = diag.hostcheck.sources_for  # type: ignore[attr-defined]
    monkeypatch.setattr(
        "diag.hostcheck.sources_for", lambda checks: calls.append(1) or real(checks)
    )
    assert [payload_of(opts) for _ in range(5)] == [want] * 5
    assert calls == [1]


@pytest.mark.parametrize(
    "change",
    [
        {"command": ("python3", "-I", "-")},
        {"timeout_s": 13.0},
        {"checks": [REGISTRY["gpu.xid"]]},
    ],
)
def test_another_command_timeout_or_check_list_gets_its_own(change: dict[str, object]) -> None:
    opts = HealthOptions(policy=Policy.load(), command=SH_ARGV, timeout_s=12.0)
    payload_of(opts)
    for key, value in change.items():
        setattr(opts, key, value)
    builder = build_python if opts.command != SH_ARGV else build_sh
    want = builder(sources_for(opts.checks), payload_deadline(opts.timeout_s))
    assert payload_of(opts) == want


def test_a_listed_check_builds_no_default_model(monkeypatch: pytest.MonkeyPatch) -> None:
    pol = Policy.load()
    built: list[int] = []
    real = diag.policy.CheckPolicy
    monkeypatch.setattr(diag.policy, "CheckPolicy", lambda: built.append(1) or real())
    assert pol.check("gpu.xid")[0] is True
    assert built == []
    enabled, rules = pol.check("no.such.check")
    assert (enabled, dict(rules.thresholds), built) == (True, {}, [1])
