"""Exit codes: the one table (docs/envelope.md), its inputs, and `health --fail-on` end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from diag.envelope import bound, finalize
from diag.exitcodes import (
    DEFAULT_POLICY,
    PROBE_POLICY,
    Exit,
    ExitPolicy,
    FailOn,
    exit_code,
    exit_for,
    probe_exit_code,
    statuses_of,
)
from schemas.envelope import Envelope, Finding, HostRef, Status

W, F = FailOn.WARN, FailOn.FAIL


def test_the_numbers_are_the_documented_ones() -> None:
    assert {e.name: e.value for e in Exit} == {
        "OK": 0,
        "INTERNAL": 1,
        "USAGE": 2,
        "FINDINGS": 3,
        "UNREACHABLE": 4,
        "BREAKER": 5,
        "WARNINGS": 6,
        "INTERRUPTED": 130,
    }
    assert ExitPolicy(strict=False, fail_on=FailOn.FAIL) == DEFAULT_POLICY
    assert ExitPolicy(strict=False, fail_on=FailOn.WARN) == PROBE_POLICY
    assert [f.value for f in FailOn] == ["warn", "fail"]


@pytest.mark.parametrize(
    ("statuses", "strict", "fail_on", "interrupted", "code"),
    [
        # nothing, or nothing bad
        ((), False, F, False, Exit.OK),
        ((), True, W, False, Exit.OK),
        (("pass",), True, W, False, Exit.OK),
        (("not_applicable",), True, W, False, Exit.OK),  # counts as pass
        (("not_applicable", "pass"), True, W, False, Exit.OK),
        # unknown: only --strict counts it, and then as a failure (3), whatever --fail-on says
        (("unknown",), False, F, False, Exit.OK),
        (("unknown",), False, W, False, Exit.OK),
        (("unknown",), True, F, False, Exit.FINDINGS),
        (("unknown",), True, W, False, Exit.FINDINGS),
        (("unknown", "warn"), True, W, False, Exit.FINDINGS),
        (("unknown", "warn"), False, W, False, Exit.WARNINGS),
        # warn: exit 0 by default (`health || drain` must not drain), 6 with --fail-on warn
        (("warn",), False, F, False, Exit.OK),
        (("warn",), True, F, False, Exit.OK),
        (("warn",), False, W, False, Exit.WARNINGS),
        (("pass", "warn", "not_applicable"), False, W, False, Exit.WARNINGS),
        # fail: always 3, never 6
        (("fail",), False, F, False, Exit.FINDINGS),
        (("fail",), False, W, False, Exit.FINDINGS),
        (("warn", "fail"), False, W, False, Exit.FINDINGS),
        (("fail", "unknown"), True, W, False, Exit.FINDINGS),
        # error (a check or diagctl broke) outranks every finding
        (("error",), False, F, False, Exit.INTERNAL),
        (("fail", "error"), True, W, False, Exit.INTERNAL),
        (("warn", "error"), False, W, False, Exit.INTERNAL),
        # unreachable outranks error
        (("unreachable",), False, F, False, Exit.UNREACHABLE),
        (("fail", "unreachable", "error"), True, W, False, Exit.UNREACHABLE),
        # interrupted outranks everything, even with nothing collected
        ((), False, F, True, Exit.INTERRUPTED),
        (("pass",), False, F, True, Exit.INTERRUPTED),
        (("unreachable", "error", "fail", "warn"), True, W, True, Exit.INTERRUPTED),
    ],
)
def test_the_table(
    statuses: tuple[str, ...], strict: bool, fail_on: FailOn, interrupted: bool, code: Exit
) -> None:
    assert exit_for(statuses, ExitPolicy(strict, fail_on), interrupted) is code
    if not interrupted:  # the default is "not interrupted"
        assert exit_for(statuses, ExitPolicy(strict, fail_on)) is code


def _env(*findings: str, status: Status | None = None) -> Envelope:
    env = Envelope(
        kind="health.l1",
        tool_version="0",
        host=HostRef(name="h"),
        ok=False,
        status=Status.UNKNOWN,
        collected_at="2026-01-01T00:00:00Z",
        duration_ms=0,
        findings=[Finding(check_id=f"c{i}", status=Status(s)) for i, s in enumerate(findings)],
    )
    env = finalize(env)
    if status is not None:
        env.status = status
    return env


@pytest.mark.parametrize(
    ("findings", "want"),
    [
        ((), {"unknown"}),  # no findings, no errors: the host status is unknown
        (("pass",), {"pass"}),
        (("not_applicable",), {"pass"}),
        (("unknown",), {"unknown"}),
        (("warn",), {"warn"}),
        (("unknown", "warn"), {"warn", "unknown"}),  # the host is warn; its unknown still counts
        (("unknown", "fail"), {"fail", "unknown"}),
        (("warn", "fail"), {"fail"}),  # a warn under a fail adds nothing the table needs
    ],
)
def test_statuses_of_one_host(findings: tuple[str, ...], want: set[str]) -> None:
    assert statuses_of([_env(*findings)]) == want


def test_statuses_of_several_hosts_is_their_union() -> None:
    envs = [_env("pass"), _env("unknown", "warn"), _env(status=Status.UNREACHABLE)]
    assert statuses_of(envs) == {"pass", "warn", "unknown", "unreachable"}
    assert statuses_of([]) == set()


def test_strict_sees_an_unknown_on_a_host_that_warns() -> None:
    env = _env("pass", "unknown", "warn")
    assert env.status is Status.WARN
    assert exit_code([env]) is Exit.OK
    assert exit_code([env], policy=ExitPolicy(strict=True)) is Exit.FINDINGS
    assert exit_code([env], policy=ExitPolicy(fail_on=FailOn.WARN)) is Exit.WARNINGS
    assert exit_code([env], True, ExitPolicy(strict=True)) is Exit.INTERRUPTED


def test_strict_sees_an_unknown_the_byte_cap_dropped() -> None:
    """The summary is counted before the cap; unknown findings are dropped before warn ones."""
    env = Envelope.model_validate(_env("unknown", "warn").model_dump())
    env.findings[0].message = "u" * 4000
    env.findings[1].message = "w" * 4000
    env = bound(env, 1500)
    assert [f.status for f in env.findings] == [Status.WARN]
    assert env.truncated.findings_dropped == 1
    assert exit_code([env], policy=ExitPolicy(strict=True)) is Exit.FINDINGS


@pytest.mark.parametrize(
    ("statuses", "breaker", "action_failed", "interrupted", "code"),
    [
        ((), False, False, False, Exit.OK),
        ((Status.PASS,), False, False, False, Exit.OK),  # healthy
        ((Status.PASS, Status.WARN), False, False, False, Exit.WARNINGS),  # slow
        ((Status.WARN, Status.FAIL), False, False, False, Exit.FINDINGS),  # zombie
        ((Status.FAIL, Status.UNREACHABLE), False, False, False, Exit.UNREACHABLE),  # down
        ((Status.UNKNOWN,), False, False, False, Exit.OK),  # no --strict for probes
        ((Status.UNREACHABLE,), False, True, False, Exit.INTERNAL),  # an action failed
        ((Status.UNREACHABLE,), True, True, False, Exit.BREAKER),
        ((Status.PASS,), True, False, False, Exit.BREAKER),
        ((Status.PASS,), True, True, True, Exit.INTERRUPTED),
        ((), False, False, True, Exit.INTERRUPTED),
    ],
)
def test_probe_table(
    statuses: tuple[Status, ...], breaker: bool, action_failed: bool, interrupted: bool, code: Exit
) -> None:
    envs = [_env(status=s) for s in statuses]
    assert probe_exit_code(envs, breaker, action_failed, interrupted) is code


H100 = Path(__file__).resolve().parents[2] / "fixtures" / "gpu" / "h100_real" / "payload.json"


@pytest.fixture(scope="module")
def h100_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A recorded healthy H100 host whose only findings are a warn (its clock is not
    disciplined) and an unknown (no systemd in that container)."""
    d = tmp_path_factory.mktemp("replay")
    (d / "gpu-node-1" / "raw").mkdir(parents=True)
    (d / "gpu-node-1" / "raw" / "payload.json").write_text(H100.read_text())
    return d


@pytest.mark.parametrize(
    ("flags", "code"),
    [
        ((), 0),
        (("--fail-on", "fail"), 0),
        (("--fail-on", "warn"), 6),
        (("--strict",), 3),
        (("--strict", "--fail-on", "warn"), 3),
    ],
)
def test_health_fail_on_end_to_end(h100_run: Path, flags: tuple[str, ...], code: int) -> None:
    cmd = [sys.executable, "-m", "diag.cli", "health", "--replay", str(h100_run), *flags]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    env = json.loads(res.stdout)
    assert (env["status"], env["summary"]["warn"], env["summary"]["unknown"]) == ("warn", 1, 1)
    assert {f["check_id"] for f in env["findings"] if f["status"] == "warn"} == {"host.clock_sync"}
    assert res.returncode == code, res.stderr


def test_fail_on_refuses_anything_else(h100_run: Path) -> None:
    cmd = [sys.executable, "-m", "diag.cli", "health", "--replay", str(h100_run), "--fail-on", "x"]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert res.returncode == 2 and res.stdout == ""
    assert "Invalid value for '--fail-on': 'x' is not one of 'warn', 'fail'." in res.stderr
