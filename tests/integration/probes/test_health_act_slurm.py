"""`diagctl health --act` and `--slurm-hcp` against a real Slurm controller (slurmctld + four
slurmds, the probe tests' fixture): recorded GPU hosts (tests/fixtures/gpu payloads, replayed)
or this machine's own L1 drive real drains, a human's drain is never claimed nor resumed, ours
is resumed after 2 passing runs, and the blast-radius breaker withholds every drain."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml
from probes_support import Slurm

from tests.support.act import CLI, PASSING, RESET, health_act, record

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


def config(tmp: Path, **over: object) -> Path:
    path = tmp / "act.yaml"
    path.write_text(yaml.safe_dump({"backend": "slurm", "max_cordon_fraction": 1.0, **over}))
    return path


def audit(path: Path) -> list[tuple[str, str, str]]:
    recs = [json.loads(x) for x in path.read_text().splitlines()]
    assert all(r["who"] and r["dry_run"] is False for r in recs)
    return [(r["action"], r["node"], r["result"]) for r in recs]


def test_drain_ours_leave_the_humans_resume_ours_after_two_passes(
    slurm: Slurm, tmp_path: Path
) -> None:
    h = slurm.host
    replay = record(tmp_path / "run", {h: RESET, "dgpn2": RESET, "dgpn3": PASSING})
    slurm.scontrol("update", "NodeName=dgpn2", "State=DRAIN", "Reason=human: bad DIMM")
    paths = ["--act-state", str(tmp_path / "s.json"), "--act-audit", str(tmp_path / "a.jsonl")]
    args = ["--act-config", str(config(tmp_path)), *paths, "--act"]

    first = health_act(replay, *args, env=slurm.env)
    assert (first.returncode, first.stderr) == (3, "")
    node = slurm.node(h)
    assert "DRAIN" in node["State"]
    assert node["Reason"].startswith("diagctl: health fail x1: gpu.memory reset: "), node["Reason"]
    assert slurm.node("dgpn2")["Reason"].startswith("human: bad DIMM")
    lines = [json.loads(x) for x in first.stdout.splitlines()]
    assert [x["kind"] for x in lines] == ["health.l1"] * 3 + ["probe.audit"] * 2

    record(replay, {h: PASSING, "dgpn2": PASSING})
    assert health_act(replay, *args, env=slurm.env).returncode == 0
    assert "DRAIN" in slurm.node(h)["State"]  # 1 pass < pass_threshold 2
    assert health_act(replay, *args, env=slurm.env).returncode == 0
    assert "DRAIN" not in slurm.node(h)["State"]
    assert slurm.node("dgpn2")["Reason"].startswith("human: bad DIMM")  # never ours
    assert audit(tmp_path / "a.jsonl") == [  # each run's plans in node name order
        *sorted([("cordon", h, "done"), ("cordon", "dgpn2", "already")], key=lambda r: r[1]),
        ("uncordon", h, "done"),
    ]


def test_breaker_withholds_every_drain(slurm: Slurm, tmp_path: Path) -> None:
    nodes = [slurm.host, "dgpn2", "dgpn3", "dgpn4"]
    replay = record(tmp_path / "run", dict.fromkeys(nodes, RESET))
    res = health_act(replay, "--act-config", str(config(tmp_path, max_cordon_fraction=0.25)),
                     "--act-state", str(tmp_path / "s.json"), "--act-audit",
                     str(tmp_path / "a.jsonl"), "--act", env=slurm.env)  # fmt: skip
    assert (res.returncode, res.stderr) == (5, "")
    assert not any("DRAIN" in slurm.node(n)["State"] for n in nodes)
    recs = [json.loads(x) for x in (tmp_path / "a.jsonl").read_text().splitlines()]
    assert recs[0]["action"] == "breaker" and recs[0]["evidence"] == {
        "group_size": 4, "limit": 1, "cordoned_in_window_or_held": 0, "wanted_this_round": 4,
        "nodes": sorted(nodes),
    }  # fmt: skip
    assert sorted((r["node"], r["result"]) for r in recs[1:]) == [(n, "blocked") for n in
                                                                  sorted(nodes)]  # fmt: skip


def hcp(slurm: Slurm, tmp: Path, node: str, *args: str) -> int:
    """Run as slurmd runs HealthCheckProgram: a wrapper script, no arguments, SLURMD_NODENAME
    set, as root, the state in that node's root's XDG state directory (here a temp one)."""
    script = tmp / "diagctl-hcp"
    line = " ".join([*CLI, "health", "--slurm-hcp", "--check", "gpu.inventory", *args])
    script.write_text(f"#!/bin/sh\nexec {line}\n")
    script.chmod(0o755)
    env = {**slurm.env, "SLURMD_NODENAME": node, "XDG_STATE_HOME": str(tmp / node)}
    res = subprocess.run([str(script)], env=env, capture_output=True, text=True, timeout=120)
    assert res.stderr == "", res.stderr
    return res.returncode


def test_health_check_program_mode(slurm: Slurm, tmp_path: Path) -> None:
    """This CI machine has no GPU: `--expect-gpus 8` is a real failing gpu.inventory finding
    (action reboot); without it the same check passes."""
    slurm.scontrol("update", "NodeName=dgpn4", "State=DRAIN", "Reason=human: fan swap")
    assert hcp(slurm, tmp_path, "dgpn3", "--expect-gpus", "8") == 3
    node = slurm.node("dgpn3")
    assert "DRAIN" in node["State"]
    assert node["Reason"].startswith("diagctl: health fail x1: gpu.inventory reboot: "), node
    assert hcp(slurm, tmp_path, "dgpn4", "--expect-gpus", "8") == 3
    assert slurm.node("dgpn4")["Reason"].startswith("human: fan swap")
    assert [hcp(slurm, tmp_path, n) for n in ("dgpn3", "dgpn4", "dgpn3", "dgpn4")] == [0] * 4
    assert "DRAIN" not in slurm.node("dgpn3")["State"]  # ours, resumed after 2 passes
    assert slurm.node("dgpn4")["Reason"].startswith("human: fan swap")  # never resumed
    log = "diagctl/health-act-audit.jsonl"
    assert audit(tmp_path / "dgpn3" / log) == [
        ("cordon", "dgpn3", "done"),
        ("uncordon", "dgpn3", "done"),
    ]
    assert audit(tmp_path / "dgpn4" / log) == [("cordon", "dgpn4", "already")]
