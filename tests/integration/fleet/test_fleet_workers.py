"""`--workers N`: several forked worker processes share the fleet; same contract as one."""

from __future__ import annotations

import json
import sys

import pytest

from tests.support.interrupt import interrupt_after_lines

pytestmark = pytest.mark.integration


@pytest.mark.timeout(90)
def test_workers_cover_every_host_once(sshd, ssh_keys, tmp_path, diagctl, write_known_hosts):
    hosts = [sshd.start() for _ in range(5)] + [sshd.start(no_python=True)]
    kh = write_known_hosts(tmp_path / "known_hosts", hosts)
    out = tmp_path / "out"
    entries = ",".join(h.entry for h in hosts) + ",root@127.0.0.1:1"  # port 1: refused
    r = diagctl("health", "-H", entries, "--identity", str(ssh_keys.clientkey), "--known-hosts",
                str(kh), "--workers", "3", "--out", str(out))  # fmt: skip
    envs = [json.loads(line) for line in r.stdout.splitlines()]
    names = sorted(e["host"]["name"] for e in envs)
    assert names == sorted([h.entry for h in hosts] + ["root@127.0.0.1:1"])
    modes = sorted(e["data"]["payload_mode"] for e in envs if e["status"] != "unreachable")
    assert modes == ["python"] * 5 + ["sh"]
    refused = next(e for e in envs if e["host"]["name"] == "root@127.0.0.1:1")
    assert refused["errors"][0]["code"] == "unreachable"
    assert r.returncode == 4
    summary = json.loads((out / "run.json").read_text())
    assert summary["hosts"] == 7 and summary["exit_code"] == 4
    assert len(list(out.glob("hosts/*/envelope.json"))) == 7


@pytest.mark.timeout(60)
def test_workers_ctrl_c(sshd, ssh_keys, tmp_path, write_known_hosts):
    fast = [sshd.start(), sshd.start()]
    hang = [sshd.start(extra="ForceCommand exec sleep 20") for _ in range(2)]
    kh = write_known_hosts(tmp_path / "known_hosts", [*fast, *hang])
    argv = [sys.executable, "-m", "diag.cli", "health", "-H",
            ",".join(h.entry for h in [*fast, *hang]), "--identity", str(ssh_keys.clientkey),
            "--known-hosts", str(kh), "--workers", "2", "--timeout", "30"]  # fmt: skip
    code, stdout, err = interrupt_after_lines(argv, 2)  # the parent forwards to its workers
    assert code == 130, err
    envs = {json.loads(x)["host"]["name"]: json.loads(x) for x in stdout.splitlines()}
    assert len(envs) == 4
    assert {envs[h.entry]["errors"][0]["code"] for h in hang} == {"interrupted"}
    assert all(envs[h.entry]["status"] != "unreachable" for h in fast)
