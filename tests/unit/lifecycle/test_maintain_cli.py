"""`diagctl lifecycle maintain` without touching a host: the dry-run plan (whole envelopes, one
wave per host at --max-in-flight 1), and bad input refused as one line with exit 2 before any
host or registry is touched."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

STEPS = ["cordon", "precheck", "reboot_intent", "command", "return", "postcheck", "diff",
         "uncordon"]  # fmt: skip


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "diag.cli", "lifecycle", "maintain", *args],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def test_dry_run_plans_every_step_in_waves_and_masks_secrets() -> None:
    cmd = "curl https://x/?token=s3cret && reboot"
    res = run("-H", "gpu-a-01,gpu-a-02,gpu-a-03", "--command", cmd,
              "--reboots", "--max-in-flight", "2", "--json")  # fmt: skip
    assert (res.returncode, res.stderr) == (0, "")
    envs = [json.loads(x) for x in res.stdout.splitlines()]
    assert [(e["host"]["name"], e["data"]["wave"], e["status"]) for e in envs] == [
        ("gpu-a-01", 0, "pass"), ("gpu-a-02", 0, "pass"), ("gpu-a-03", 1, "pass")
    ]  # fmt: skip
    d = envs[0]["data"]
    assert d == {
        "command": "curl https://x/?token=*** && reboot", "reboots": True, "wave": 0,
        "node": "gpu-a-01",
        "boot_id_before": "", "boot_id_after": "",
        "steps": [{"step": s, "result": "planned", "message": ""} for s in STEPS],
        "changes": [], "outcome": "planned", "phase": None,
    }  # fmt: skip
    no_reboot = json.loads(run("-H", "gpu-a-01", "--command", "true", "--json").stdout)
    assert [s["step"] for s in no_reboot["data"]["steps"]] == [
        s for s in STEPS if s != "reboot_intent"
    ]


@pytest.mark.parametrize(
    "args,message",
    [
        (["--act"], "--act needs a backend to cordon through: --backend "
                    "slurm|kubernetes|command, or backend: in --act-config"),
        (["--window", "2025-01-01T00:00Z"], "--window '2025-01-01T00:00Z': expected START/END"),
        (["--window", "2025-01-01T02:00Z/2025-01-01T01:00Z"],
         "--window '2025-01-01T02:00Z/2025-01-01T01:00Z': end is not after start"),
        (["--command", " "], "--command is empty"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    cmd = ["-H", "gpu-a-01", "--command", "true", *args]
    res = run(*cmd)
    assert (res.returncode, res.stdout, res.stderr) == (2, "", f"Error: {message}\n")


def test_an_asset_not_in_service_is_refused_before_anything(tmp_path: Path) -> None:
    from lifecycle.registry.store import AssetInfo, open_registry

    url = f"sqlite:///{tmp_path / 'r.db'}"
    open_registry(url).register(AssetInfo("SN9", "gpu-a-01"), "t")
    (tmp_path / "act.yaml").write_text("backend: command\ncommand_cordon: [touch, /nonexistent/c]\n"
                                       "command_uncordon: [touch, /nonexistent/u]\n")  # fmt: skip
    res = run("-H", "gpu-a-01", "--command", "true", "--act", "--registry", url,
              "--act-config", str(tmp_path / "act.yaml"),
              "--act-audit", str(tmp_path / "audit.jsonl"))  # fmt: skip
    assert (res.returncode, res.stdout) == (2, "")
    assert res.stderr == (
        "Error: gpu-a-01: asset SN9 is in phase receive; maintenance starts from monitor or "
        "maintain (diagctl lifecycle move)\n"
    )
    assert not (tmp_path / "audit.jsonl").exists()
