"""An unknown host class is a usage error, never a silent pass.

A misspelt `--host-class hgx_h100` (the class is `hgx-h100`) used to drop that class's
overrides without a word: "8 GPUs expected" then passed on a host with none.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from diag.policy import Policy, PolicyError

DIAG = [sys.executable, "-m", "diag.cli"]
POLICY = """\
classes:
  hgx-h100:
    description: 8x H100 SXM
    checks:
      gpu.inventory: {thresholds: {expected_gpus: 8}}
  l40s: {}
"""
KNOWN = "known: hgx-h100, l40s"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*DIAG, *args], capture_output=True, text=True, timeout=60)


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(POLICY)
    return path


@pytest.mark.parametrize(
    ("host_class", "error"),
    [
        ("", None),  # no class: the plain policy
        ("hgx-h100", None),
        ("l40s", None),
        ("hgx_h100", f"unknown host class 'hgx_h100'; did you mean 'hgx-h100'? {KNOWN}"),
        ("HGX-H100", f"unknown host class 'HGX-H100'; {KNOWN}"),  # names are exact
        ("hgx-h100 ", f"unknown host class 'hgx-h100 '; did you mean 'hgx-h100'? {KNOWN}"),
        ("zzz", f"unknown host class 'zzz'; {KNOWN}"),
    ],
)
def test_require_class_boundaries(policy: Path, host_class: str, error: str | None) -> None:
    pol = Policy.load(policy)
    if error is None:
        pol.require_class(host_class, "--host-class")
        return
    with pytest.raises(PolicyError) as exc:
        pol.require_class(host_class, "--host-class")
    assert str(exc.value) == f"--host-class: {error}"


def test_shipped_policy_has_no_classes_so_any_class_needs_a_policy_file() -> None:
    with pytest.raises(PolicyError) as exc:
        Policy.load().require_class("hgx-h100", "--host-class")
    assert str(exc.value) == (
        "--host-class: unknown host class 'hgx-h100'; known: none (the policy has no `classes:`)"
    )


def test_misspelt_host_class_is_exit_2_and_the_right_one_applies_its_expectations(
    policy: Path, tmp_path: Path
) -> None:
    args = ("health", "--local", "--policy", str(policy), "--check", "gpu.inventory")
    out = tmp_path / "o"
    bad = _run(*args, "--host-class", "hgx_h100", "--out", str(out))
    assert bad.returncode == 2 and bad.stdout == "" and not out.exists()
    assert bad.stderr == (
        f"Error: --host-class: unknown host class 'hgx_h100'; did you mean 'hgx-h100'? {KNOWN}\n"
    )
    # The class spelt right brings its expectation: this test machine has no GPU.
    good = _run(*args, "--host-class", "hgx-h100")
    finding = json.loads(good.stdout)["findings"][0]
    assert (finding["status"], finding["message"]) == ("fail", "0 GPU(s) seen, 8 expected")


def test_checks_list_refuses_an_unknown_host_class(policy: Path) -> None:
    res = _run("checks", "list", "--policy", str(policy), "--host-class", "l40")
    assert res.returncode == 2 and res.stdout == ""
    assert res.stderr == (
        f"Error: --host-class: unknown host class 'l40'; did you mean 'l40s'? {KNOWN}\n"
    )


def test_inventory_host_class_unknown_to_the_policy_is_exit_2_before_any_host(
    policy: Path, tmp_path: Path
) -> None:
    inv = tmp_path / "inv.yaml"
    inv.write_text(
        "hosts:\n"
        "  gpu-01: {address: 192.0.2.1, host_class: hgx-h100}\n"
        "  gpu-02: {address: 192.0.2.2, host_class: h100}\n"
    )
    res = _run("health", "-i", str(inv), "--policy", str(policy), "--timeout", "2")
    assert res.returncode == 2 and res.stdout == "", "no host was contacted"
    assert res.stderr == (
        f"Error: inventory {inv}: host 'gpu-02': host_class: unknown host class 'h100'; "
        f"did you mean 'hgx-h100'? {KNOWN}\n"
    )
