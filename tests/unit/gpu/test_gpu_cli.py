"""The CLI surface of the GPU checks, as a user runs it (subprocess, real payload, this host).

This CI machine has no GPU: the real no-GPU path is exercised end to end here."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

CLI = [sys.executable, "-m", "diag.cli"]


@pytest.mark.timeout(120)
def test_expect_gpus_on_a_host_without_gpus() -> None:
    base = [*CLI, "health", "--local", "--check", "gpu.inventory", "--check", "gpu.memory"]
    none = subprocess.run(base, capture_output=True, text=True, timeout=60)
    env = json.loads(none.stdout)
    assert none.returncode == 0, none.stdout + none.stderr
    assert {f["check_id"]: f["status"] for f in env["findings"]} == {
        "gpu.inventory": "pass",
        "gpu.memory": "pass",
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
