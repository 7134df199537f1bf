"""`diagctl reset-reason` over SSH against a real sshd host (this machine, logged into as
root): the collector travels, runs with the host's real journalctl, last and /sys, and its
verdict matches the same collector run locally; the recorded run replays to the same data, and
an unreachable host still gets its one envelope."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.net import free_port

pytestmark = [pytest.mark.integration]

STABLE = ("reason", "confidence", "explanation", "boot_id", "previous_boot", "evidence",
          "evidence_completeness", "timeline", "since_s", "arch")  # fmt: skip


@pytest.mark.timeout(90)
def test_live_ssh_run_matches_local_and_replays(
    sshd, ssh_keys, tmp_path: Path, diagctl, write_known_hosts
) -> None:
    host = sshd.start()
    kh = write_known_hosts(tmp_path / "known_hosts", [host])
    dead = f"root@127.0.0.1:{free_port()}"
    out = tmp_path / "run"
    live = diagctl(
        "reset-reason", "-H", f"{host.entry},{dead}", "--identity", str(ssh_keys.clientkey),
        "--known-hosts", str(kh), "--json", "--out", str(out), "--connect-timeout", "3",
    )  # fmt: skip
    assert live.returncode == 4, live.stderr  # one host unreachable: exit 4 (docs/envelope.md)
    envs = {e["host"]["name"]: e for e in map(json.loads, live.stdout.splitlines())}
    assert envs[dead]["status"] == "unreachable" and envs[dead]["kind"] == "reset_reason"
    assert [e["code"] for e in envs[dead]["errors"]] == ["unreachable"]
    remote = envs[host.entry]
    assert remote["kind"] == "reset_reason" and remote["errors"] == []
    local = json.loads(diagctl("reset-reason", "--local", "--json").stdout)
    assert {k: remote["data"][k] for k in STABLE} == {k: local["data"][k] for k in STABLE}
    assert remote["findings"] == local["findings"]
    again = diagctl("reset-reason", "--replay", str(out), "--json")
    replays = {e["host"]["name"]: e for e in map(json.loads, again.stdout.splitlines())}
    assert again.returncode == 4 and replays[dead]["status"] == "unreachable", again.stderr
    replayed = replays[host.entry]
    assert replayed["data"] == remote["data"] and replayed["findings"] == remote["findings"]
    assert replayed["replayed"]["source"] == str(out.resolve())
