"""The lifecycle phase playbooks (receive, provision, monitor) under real ansible-playbook
against a real sshd host in a network namespace (strict host keys), then `diagctl ingest
--phase P`: the asset moves, or is refused, exactly as the matching `diagctl lifecycle` command
on the same host moves its twin in a second registry. Compared whole, but for the timestamps,
durations and evidence digests (each path judged its own collection, seconds apart)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.integration.ansible_playbooks.plays import jsonl, play, require_ansible
from tests.integration.ansible_playbooks.test_ansible_ingest import _inventory
from tests.integration.fleet.conftest import SshdFactory, SshHost
from tests.support.net import free_port

pytestmark = pytest.mark.timeout(150)
BURN = "echo burnt in; echo fans ok >&2"  # a burn-in command (dcgmi diag needs a GPU)
CHECKS = "gpu.inventory,gpu.driver"  # deterministic here: no GPU, none expected
VALUES = Path(__file__).parents[2] / "fixtures" / "airgap" / "values.yaml"


def _normal(env: dict[str, Any]) -> dict[str, Any]:
    env = json.loads(json.dumps(env))
    env["collected_at"], env["duration_ms"] = "T", 0
    for f in env["findings"]:
        if isinstance(f.get("observed"), dict):
            f["observed"].pop("output_sha256", None)
            if "duration_ms" in f["observed"]:  # the burn-in's: each path timed its own run
                f["observed"]["duration_ms"] = 0
                f["message"] = re.sub(r"after \d+ ms", "after N ms", f["message"])
    return env


def _history(diagctl: Any, db: Path, key: str) -> list[tuple[str, str, str, str | None]]:
    res = diagctl("lifecycle", "history", key, "--json", "--registry", str(db))
    rows = [json.loads(line)["data"] for line in res.stdout.splitlines()]
    return [(r["entry"], r["action"], r["outcome"], r["to_phase"]) for r in rows]


@pytest.mark.parametrize("netns_hosts", [1], indirect=True)
def test_receive_provision_monitor_move_like_the_lifecycle_commands(
    netns_hosts: list[SshHost], sshd: SshdFactory, write_known_hosts: Any, diagctl: Any,
    tmp_path: Path,
) -> None:  # fmt: skip
    require_ansible()
    host = netns_hosts[0]
    inv = _inventory(tmp_path / "inventory.ini", netns_hosts, sshd.keys.clientkey, free_port())
    kh = write_known_hosts(tmp_path / "known_hosts", netns_hosts)
    ssh = ["-i", str(inv), "--limit", host.name, "--known-hosts", str(kh), "--check", CHECKS]
    r_ing, r_cmd = tmp_path / "ingest.db", tmp_path / "command.db"

    def collect(phase: str, **more: str) -> Path:
        out = tmp_path / phase
        extra = {"diagctl_out": str(out), "diagctl_known_hosts": str(kh),
                 "diagctl_checks": CHECKS, "diagctl_timeout": 20, **more}  # fmt: skip
        log = play(tmp_path, f"{phase}.yml", inv, extra)
        assert (out / "l1" / "hosts" / host.name / "collected.json").is_file(), log[-3000:]
        return out

    # receive: the host matches its manifest entry; gpu-node-down is unreachable
    host_id = json.loads(diagctl("health", "--local", "--json", "--check", "gpu.inventory")
                         .stdout)["host"]["host_id"]  # fmt: skip
    manifest = tmp_path / "po.csv"
    manifest.write_text(f"serial,name,gpu_count\n{host_id},{host.name},0\n")
    ing = diagctl("ingest", str(collect("receive", burn_in=BURN)), "--phase", "receive",
                  "--manifest", str(manifest), "--act", "--registry", str(r_ing), "--check",
                  CHECKS)  # fmt: skip
    cmd = diagctl("lifecycle", "receive", "--manifest", str(manifest), "--act",
                  "--registry", str(r_cmd), "--json", *ssh[:2], "--known-hosts", str(kh),
                  "--check", CHECKS, "--burn-in", BURN)  # fmt: skip
    assert (ing.returncode, cmd.returncode) == (4, 4), ing.stderr + cmd.stderr
    got, want = jsonl(ing.stdout), jsonl(cmd.stdout)
    assert got[host.name]["data"]["decision"] == "move"
    burnt = [f for f in got[host.name]["findings"] if f["check_id"] == "lifecycle.burn_in"]
    assert [(f["status"], f["entity"], f["observed"]["exit_code"], f["evidence"])
            for f in burnt] == [("pass", BURN, 0, ["burnt in", "fans ok"])]  # fmt: skip
    assert _normal(got[host.name]) == _normal(want[host.name])
    down_i, down_c = got["gpu-node-down"], want["gpu-node-down"]
    # the burn-in of a host that is down: unknown on both paths, each in its own words
    (b_i,), (b_c,) = ([f for f in d["findings"] if f["check_id"] == "lifecycle.burn_in"]
                      for d in (down_i, down_c))  # fmt: skip
    assert (b_i["status"], b_c["status"]) == ("unknown", "unknown")
    assert b_i["message"] == "burn-in did not run: transport: no burn-in result collected"
    assert b_c["message"].startswith("burn-in did not run: unreachable: ")
    assert [f["message"] for f in down_i["findings"] if f is not b_i] == [
        f["message"] for f in down_c["findings"] if f is not b_c
    ]
    assert (down_i["data"]["decision"], down_c["data"]["decision"]) == ("dry_run", "dry_run")
    assert _history(diagctl, r_ing, host_id) == _history(diagctl, r_cmd, host_id)

    # provision: the class baseline is this kernel; the move to monitor, then drift in monitor
    vals = yaml.safe_load(VALUES.read_text())
    vals["classes"]["gpu-h100"]["baseline"] = {"kernel": os.uname().release}
    values = tmp_path / "values.yaml"
    values.write_text(yaml.safe_dump(vals))
    cls = ["--class", "gpu-h100", "--values", str(values)]
    for phase in ("provision", "monitor"):
        out = collect(phase)
        given = cls if phase == "provision" else cls[:2]  # monitor: --class as shown
        ing = diagctl("ingest", str(out), "--phase", phase, *given, "--registry", str(r_ing),
                      "--check", CHECKS, "--limit", host.name, "--json")  # fmt: skip
        cmd = diagctl("lifecycle", "provision", host_id, *cls, "--verify", *ssh, "--registry",
                      str(r_cmd), "--json")  # fmt: skip
        assert (ing.returncode, cmd.returncode) == (0, 0), ing.stderr + cmd.stderr
        envs = [json.loads(ln) for ln in ing.stdout.splitlines()]
        mine = [e for e in envs if e["kind"] == "lifecycle.provision"]
        assert [_normal(e) for e in mine] == [_normal(json.loads(cmd.stdout))], phase
        assert mine[0]["data"]["decision"] == ("move" if phase == "provision" else "drift")
    hist = _history(diagctl, r_ing, host_id)
    assert hist[-1] == ("action", "drift", "pass", None)
    assert ("transition", "", "pass", "monitor") in hist
    assert [h for h in hist if h[1] != "l1"] == [
        h for h in _history(diagctl, r_cmd, host_id) if h[1] != "l1"
    ]  # the monitor ingest also records its L1 (as `diagctl ingest --registry` does)
