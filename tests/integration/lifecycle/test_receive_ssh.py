"""`diagctl lifecycle receive` end to end against a real sshd host (this machine, logged into
as root): the L1 payload travels, identity and inventory come back, the burn-in command runs
over SSH, and with --act the registry (a real SQLite file) holds the asset, every step and the
move to provision. A mismatching manifest, a failing burn-in and an unreachable host are
refused, not registered or not moved; without --act nothing is written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.net import free_port

pytestmark = [pytest.mark.integration]
CHECKS = "gpu.inventory,gpu.driver"  # deterministic here: no GPU, none expected


def _local_host_id(diagctl) -> str:  # type: ignore[no-untyped-def]
    res = diagctl("health", "--local", "--json", "--check", "gpu.inventory")
    return str(json.loads(res.stdout)["host"]["host_id"])


def _ssh(host, ssh_keys, kh: Path) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        "--identity",
        str(ssh_keys.clientkey),
        "--known-hosts",
        str(kh),
        "--connect-timeout",
        "3",
        "--check",
        CHECKS,
        "--json",
    ]


@pytest.mark.timeout(90)
def test_receive_records_the_steps_and_moves_on_a_passing_gate(
    sshd, ssh_keys, tmp_path: Path, diagctl, write_known_hosts
) -> None:
    host = sshd.start()
    kh = write_known_hosts(tmp_path / "known_hosts", [host])
    host_id = _local_host_id(diagctl)
    manifest = tmp_path / "po.csv"
    manifest.write_text(f"serial,name,gpu_count\n{host_id},{host.entry},0\n")
    db = tmp_path / "registry.db"
    burn = "echo burn-in ok; test -r /proc/sys/kernel/random/boot_id"
    res = diagctl(
        "lifecycle",
        "receive",
        "-H",
        host.entry,
        "--manifest",
        str(manifest),
        "--burn-in",
        burn,
        "--act",
        "--registry",
        str(db),
        "--out",
        str(tmp_path / "recv"),
        *_ssh(host, ssh_keys, kh),
    )
    assert res.returncode == 0, res.stderr
    env = json.loads(res.stdout)
    assert (env["kind"], env["status"], env["host"]["host_id"]) == (
        "lifecycle.receive",
        "pass",
        host_id,
    )
    assert [(f["check_id"], f["status"], f["message"]) for f in env["findings"][:-1]] == [
        ("lifecycle.identity", "pass", f"host_id {host_id} (machine_id)"),
        ("lifecycle.manifest", "pass", f"matches manifest entry {host_id}"),
        ("lifecycle.l1", "pass", "health pass: 0 fail, 0 warn, 0 unknown"),
    ]
    burn_f = env["findings"][-1]
    assert (burn_f["check_id"], burn_f["status"], burn_f["entity"], burn_f["evidence"]) == (
        "lifecycle.burn_in",
        "pass",
        burn,
        ["burn-in ok"],
    )
    data = env["data"]
    assert (data["decision"], data["phase"], data["gate_missing"], data["burn_in_exit"]) == (
        "move",
        "provision",
        [],
        0,
    )
    assert (
        data["inventory"]["gpu_count"] == 0 and data["inventory"]["host_id_source"] == "machine_id"
    )

    hist = diagctl("lifecycle", "history", host_id, "--json", "--registry", str(db))
    rows = [json.loads(line)["data"] for line in hist.stdout.splitlines()]
    assert [(r["entry"], r["action"], r["outcome"], r["to_phase"]) for r in rows] == [
        ("transition", "", "pass", "receive"),
        ("action", "identity", "pass", None),
        ("action", "manifest", "pass", None),
        ("action", "l1", "pass", None),
        ("action", "burn_in", "pass", None),
        ("transition", "", "pass", "provision"),
    ]
    l1_ptr = rows[3]["evidence"][0]
    assert l1_ptr["kind"] == "envelope" and Path(l1_ptr["path"]).is_file()
    assert rows[4]["evidence"][0]["note"].endswith("output tail: burn-in ok")
    status = diagctl("lifecycle", "status", "--json", "--registry", str(db))
    assert [json.loads(x)["data"]["phase"] for x in status.stdout.splitlines()] == ["provision"]


@pytest.mark.timeout(90)
def test_mismatch_failing_burn_in_and_unreachable_are_refused(
    sshd, ssh_keys, tmp_path: Path, diagctl, write_known_hosts
) -> None:
    host = sshd.start()
    kh = write_known_hosts(tmp_path / "known_hosts", [host])
    host_id = _local_host_id(diagctl)
    dead = f"root@127.0.0.1:{free_port()}"
    manifest = tmp_path / "po.yaml"
    manifest.write_text(f"assets:\n  - {{serial: '{host_id}', gpu_count: 8}}\n")
    db = tmp_path / "registry.db"
    common = [
        "lifecycle",
        "receive",
        "-H",
        f"{host.entry},{dead}",
        "--manifest",
        str(manifest),
        "--burn-in",
        "echo burning; exit 3",
        *_ssh(host, ssh_keys, kh),
    ]
    dry = diagctl(*common, "--registry", str(db))
    assert dry.returncode == 4 and not db.exists(), dry.stderr  # no --act: nothing written
    res = diagctl(*common, "--act", "--registry", str(db))
    assert res.returncode == 4, res.stderr  # an unreachable host is the most urgent outcome
    envs = {e["host"]["name"]: e for e in map(json.loads, res.stdout.splitlines())}
    assert envs[dead]["status"] == "unreachable" and envs[dead]["data"]["phase"] is None
    live = envs[host.entry]
    assert [(f["check_id"], f["status"], f["message"]) for f in live["findings"]] == [
        ("lifecycle.identity", "pass", f"host_id {host_id} (machine_id)"),
        ("lifecycle.manifest", "fail", "gpu_count 0, manifest says 8"),
        ("lifecycle.l1", "pass", "health pass: 0 fail, 0 warn, 0 unknown"),
        ("lifecycle.burn_in", "fail", live["findings"][3]["message"]),
    ]
    assert live["findings"][3]["message"].startswith("burn-in exited 3 after ")
    assert (live["data"]["decision"], live["data"]["phase"], live["data"]["gate_missing"]) == (
        "blocked",
        "receive",
        ["manifest match: failed", "burn-in: failed"],
    )
    status = diagctl("lifecycle", "status", "--json", "--registry", str(db))
    assets = [json.loads(x)["data"] for x in status.stdout.splitlines()]
    assert [(a["host_id"], a["phase"]) for a in assets] == [(host_id, "receive")]
