"""A policy is checked whole at load: a value that would switch a check off or invert it is exit 2."""

# ruff: noqa: E501 - boundary tables keep one case per line, whole messages included

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from diag.cli import cli
from diag.errors import PolicyError
from diag.policy import Policy


def _checks_list(tmp_path: Path, text: str | bytes) -> tuple[int, str]:
    pol = tmp_path / "p.yaml"
    if isinstance(text, bytes):
        pol.write_bytes(text)
    else:
        pol.write_text(text)
    res = CliRunner().invoke(cli, ["checks", "list", "--policy", str(pol)])
    return res.exit_code, res.output.replace(str(pol), "P")


def _threshold(check: str, key: str, value: str) -> str:
    return f"checks:\n  {check}: {{thresholds: {{{key}: {value}}}}}\n"


@pytest.mark.parametrize(
    "check, key, value, message",
    [
        # not a number: NaN compares false with everything, so the check would always pass
        ("host.cpu_load", "warn_per_core", ".nan", "warn_per_core: must be a finite number, got nan"),
        ("host.cpu_load", "fail_per_core", ".inf", "fail_per_core: must be a finite number, got inf"),
        ("host.oom_kills", "fail_kills", "-.inf", "fail_kills: must be a finite number, got -inf"),
        # sign
        ("host.oom_kills", "warn_kills", "-1", "warn_kills: must be >= 0, got -1"),
        ("host.oom_kills", "warn_kills", "0", None),
        ("host.clock_sync", "warn_max_error_ms", "-0.5", "warn_max_error_ms: must be >= 0, got -0.5"),
        ("gpu.inventory", "expected_gpus", "-1", None),
        ("gpu.inventory", "expected_gpus", "-2", "expected_gpus: must be >= -1, got -2"),
        ("gpu.nvlink", "expected_active_links", "-2", "expected_active_links: must be >= -1, got -2"),
        # percentages
        ("host.disk_space", "fail_used_pct", "100.0", None),
        ("host.disk_space", "fail_used_pct", "100.5", "fail_used_pct: is a percentage: must be <= 100, got 100.5"),
        # ordering, higher is worse: warn <= fail (fail 4.0 inherited from the defaults)
        ("host.cpu_load", "warn_per_core", "4.0", None),
        ("host.cpu_load", "warn_per_core", "4.01", "warn_per_core: 4.01 is above fail_per_core 4.0 (higher is worse here)"),
        ("host.oom_kills", "warn_kills", "11", "warn_kills: 11 is above fail_kills 10 (higher is worse here)"),
        # ordering, lower is worse: warn >= fail (fail 5.0 inherited)
        ("host.mem_available", "warn_available_pct", "5.0", None),
        ("host.mem_available", "warn_available_pct", "4.9", "warn_available_pct: 4.9 is below fail_available_pct 5.0 (lower is worse here)"),
        # nested limits are checked too
        ("host.network", "warn_ib_counters", "{symbol_error: .nan}", "warn_ib_counters.symbol_error: must be a finite number, got nan"),
        ("gpu.pcie", "warn_replays_per_min_by_gen", "{'5': -3}", "warn_replays_per_min_by_gen.5: must be >= 0, got -3"),
    ],
)  # fmt: skip
def test_threshold_boundaries(
    tmp_path: Path, check: str, key: str, value: str, message: str | None
) -> None:
    code, out = _checks_list(tmp_path, _threshold(check, key, value))
    if message is None:
        assert code == 0, out
    else:
        assert (code, out) == (2, f"Error: policy P: checks.{check}.thresholds.{message}\n")


@pytest.mark.parametrize(
    "text, message",
    [
        ("version: 99\n", "policy P: version: Input should be 1, got 99"),
        ("checks:\n  host.cpu_load: {source: [a]}\n",
         "policy P: checks.host.cpu_load.source: Input should be a valid string, got ['a']"),
        ("checks:\n  host.cpu_load: {enabled: 'no'}\n",
         "policy P: checks.host.cpu_load.enabled: Input should be a valid boolean, got 'no'"),
        ("checks:\n  host.oom_kills: {enabled: false}\n  host.oom_kills: {enabled: true}\n",
         "policy P: not valid YAML: found duplicate key 'host.oom_kills' (line 3, column 3)"),
        ("- checks\n", "policy P: expected a mapping, got list"),
        # a class override is checked against what it inherits, at load, not when a host uses it
        ("classes:\n  a100:\n    checks:\n      host.disk_space: {thresholds: {fail_used_pct: 80.0}}\n",
         "policy P: classes.a100.checks.host.disk_space.thresholds.warn_used_pct: "
         "85.0 is above fail_used_pct 80.0 (higher is worse here)"),
        (b"version: 1\n\x00\x01\x02", "policy P: binary file (NUL byte at offset 11)"),
        (b"version: 1\nchecks: {}\n# caf\xe9\n", "policy P: not UTF-8 text (byte offset 27)"),
    ],
)  # fmt: skip
def test_bad_policy_files(tmp_path: Path, text: str | bytes, message: str) -> None:
    assert _checks_list(tmp_path, text) == (2, f"Error: {message}\n")


def test_shipped_policy_passes_its_own_rules() -> None:
    Policy.load()  # the defaults go through the same validators


def test_policy_error_from_the_library(tmp_path: Path) -> None:
    pol = tmp_path / "p.yaml"
    pol.write_text(_threshold("host.cpu_load", "warn_per_core", ".nan"))
    with pytest.raises(PolicyError) as err:
        Policy.load(pol)
    assert str(err.value) == (
        f"policy {pol}: checks.host.cpu_load.thresholds.warn_per_core: "
        "must be a finite number, got nan"
    )
