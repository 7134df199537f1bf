"""The CLI surface of the GPU checks, as a user runs it (subprocess, real payload, this host).

This CI machine has no GPU: the real no-GPU path is exercised end to end here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

CLI = [sys.executable, "-m", "diag.cli"]
HAS_NVIDIA = any(
    p.read_text().strip() == "0x10de" for p in Path("/sys/bus/pci/devices").glob("*/vendor")
)


@pytest.mark.timeout(120)
@pytest.mark.skipif(HAS_NVIDIA, reason="this host has an NVIDIA GPU; the case needs one without")
def test_expect_gpus_on_a_host_without_gpus() -> None:
    base = [*CLI, "health", "--local", "--check", "gpu.inventory", "--check", "gpu.memory"]
    none = subprocess.run(base, capture_output=True, text=True, timeout=60)
    env = json.loads(none.stdout)
    assert none.returncode == 0, none.stdout + none.stderr
    assert {f["check_id"]: f["status"] for f in env["findings"]} == {
        "gpu.inventory": "pass",
        "gpu.memory": "not_applicable",
    }
    # not_applicable counts like pass: host pass, exit 0, counted on its own in the summary.
    assert (env["status"], env["ok"], env["schema_version"]) == ("pass", True, "1.3")
    assert env["summary"] == {
        "total": 2,
        "passed": 1,
        "warn": 0,
        "fail": 0,
        "unknown": 0,
        "error": 0,
        "not_applicable": 1,
    }
    two = subprocess.run([*base, "--expect-gpus", "2"], capture_output=True, text=True, timeout=60)
    env = json.loads(two.stdout)
    inv = next(f for f in env["findings"] if f["check_id"] == "gpu.inventory")
    assert two.returncode == 3 and inv["status"] == "fail" and inv["action"] == "reboot"
    bad = subprocess.run([*base, "--expect-gpus", "-1"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2


def test_checks_list_shows_gpu_catalog() -> None:
    out = subprocess.run([*CLI, "checks", "list", "--json"], capture_output=True, text=True)
    rows = {r["id"]: r for r in map(json.loads, out.stdout.splitlines())}
    for cid in (
        "gpu.inventory",
        "gpu.memory",
        "gpu.pcie",
        "gpu.nvlink",
        "gpu.throttle",
        "gpu.xid",
        "gpu.driver",
        "host.systemd_failed",
        "host.fabric_manager",
        "host.network",
    ):
        assert rows[cid]["source"] and rows[cid]["reads"], cid
    assert rows["gpu.memory"]["thresholds"]["isolate_retired_pages"] == 63


FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "gpu"


@pytest.mark.parametrize(
    ("case", "code", "check", "want"),
    [
        ("h100_real", 0, "gpu.memory", ("pass", "none")),  # 0: only warn/unknown there
        ("xid79_fallen_off_bus", 3, "gpu.xid", ("fail", "reboot")),
        ("remap_pending", 3, "gpu.memory", ("fail", "reset")),
    ],
)
def test_replay_of_recorded_gpu_hosts(
    tmp_path: Path, case: str, code: int, check: str, want: tuple[str, str]
) -> None:
    """`diagctl health --replay` over the recorded payload: the whole pipeline, no host."""
    raw = tmp_path / "gpu-node-1" / "raw"
    raw.mkdir(parents=True)
    doc = json.loads((FIXTURES / case / "payload.json").read_text())
    (raw / "payload.json").write_text(json.dumps(doc))
    cmd = [*CLI, "health", "--replay", str(tmp_path), "--expect-gpus", "1"]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    env = json.loads(res.stdout)
    got = {(f["status"], f["action"]) for f in env["findings"] if f["check_id"] == check}
    assert res.returncode == code and got == {want}, res.stdout[-2000:]
    assert env["host"]["name"] == "gpu-node-1"


@pytest.mark.parametrize(
    ("policy", "needle"),
    [
        ('checks:\n  gpu.xid: {thresholds: {overrides: {"13": explode}}}\n', "overrides['13']"),
        ("checks:\n  gpu.xid: {thresholds: {table: /nonexistent/xid.yaml}}\n", "XID table"),
    ],
)
def test_bad_xid_policy_is_a_usage_error(tmp_path: Path, policy: str, needle: str) -> None:
    pol = tmp_path / "p.yaml"
    pol.write_text(policy)
    res = subprocess.run(
        [*CLI, "health", "--local", "--policy", str(pol)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 2 and needle in res.stderr and not res.stdout
