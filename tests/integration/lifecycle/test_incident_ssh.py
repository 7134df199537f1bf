"""`diagctl lifecycle incident open|close` against a real sshd host (this machine, logged into as
root) and a real SQLite registry: open attaches the host's L1 findings, reset-reason verdict and
an L2 bundle (sha256 recorded, file kept under --bundle-out) and holds the asset in phase
incident; close with a fresh L1 passes the resolve gate back to monitor; close without one is
refused by the gate (exit 3) and the asset stays in incident."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]
CHECKS = "gpu.inventory,gpu.driver"  # deterministic here: no GPU, none expected


def _registry(tmp: Path, name: str) -> str:
    from lifecycle.phases import Decision, Phase, Verdict
    from lifecycle.registry.store import AssetInfo, open_registry

    url = f"sqlite:///{tmp / 'reg.db'}"
    reg = open_registry(url)
    forced = Decision(Verdict.FORCED, ("test set-up",))
    a = reg.register(AssetInfo("SN-INC-1", name), "test")
    reg.move(a.host_id, Phase.PROVISION, a.version, forced, "test", "set-up")
    reg.move(a.host_id, Phase.MONITOR, a.version + 1, forced, "test", "set-up")
    return url


def test_open_attaches_evidence_and_close_resolves(
    sshd, ssh_keys, tmp_path: Path, diagctl, write_known_hosts
) -> None:
    host = sshd.start()
    kh = write_known_hosts(tmp_path / "known_hosts", [host])
    url = _registry(tmp_path, host.entry)
    ssh = ["-H", host.entry, "--identity", str(ssh_keys.clientkey), "--known-hosts", str(kh),
           "--connect-timeout", "3", "--check", CHECKS, "--json", "--registry", url]  # fmt: skip
    out = tmp_path / "inc1"
    res = diagctl("lifecycle", "incident", "open", host.entry, "--reason", "Xid 79",
                  "--bundle-out", str(out), *ssh)  # fmt: skip
    assert res.returncode == 0, res.stderr
    env = json.loads(res.stdout)
    d = env["data"]
    assert (env["kind"], env["status"], env["host"]["host_id"]) == (
        "lifecycle.incident", "fail", "SN-INC-1"
    )  # fmt: skip
    assert (d["state"], d["reason"], d["phase"], d["l1_status"]) == (
        "open",
        "Xid 79",
        "incident",
        "pass",
    )
    assert d["reset_reason"] and d["bundle"].startswith(str(out / "hosts"))
    assert hashlib.sha256(Path(d["bundle"]).read_bytes()).hexdigest() == d["bundle_sha256"]
    assert env["findings"][0]["message"] == "incident open: Xid 79"

    hist = diagctl("lifecycle", "history", "SN-INC-1", "--json", "--registry", url)
    rows = [json.loads(x)["data"] for x in hist.stdout.splitlines()]
    opened = rows[-2]
    assert (opened["action"], opened["outcome"], opened["reason"]) == (
        "incident_open",
        "unknown",
        "Xid 79",
    )
    assert [p["kind"] for p in opened["evidence"]] == ["envelope", "envelope", "bundle"]
    assert opened["evidence"][2]["sha256"] == d["bundle_sha256"]
    assert (rows[-1]["from_phase"], rows[-1]["to_phase"]) == ("monitor", "incident")

    closed = diagctl(
        "lifecycle", "incident", "close", host.entry, "--resolution", "GPU reseated", *ssh
    )
    assert closed.returncode == 0, closed.stderr
    c = json.loads(closed.stdout)["data"]
    assert (c["state"], c["resolution"], c["phase"], c["gate_missing"]) == (
        "closed", "GPU reseated", "monitor", []
    )  # fmt: skip


def test_close_without_a_fresh_l1_is_refused_by_the_gate(tmp_path: Path, diagctl) -> None:
    url = _registry(tmp_path, "gpu-a-01")
    reg = ["--registry", url, "--json"]
    res = diagctl("lifecycle", "incident", "open", "gpu-a-01", "--reason", "fan alarm", *reg)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["data"]["phase"] == "incident"
    again = diagctl(
        "lifecycle", "incident", "close", "gpu-a-01", "--resolution", "fan swapped", *reg
    )
    assert again.returncode == 3, again.stderr
    c = json.loads(again.stdout)["data"]
    assert (c["phase"], c["gate_missing"]) == ("incident", ["L1 health: not captured"])
    bad = diagctl("lifecycle", "incident", "open", "nope", "--reason", "x", *reg)
    assert (bad.returncode, bad.stdout) == (2, "")
    assert "no asset with host_id or name 'nope'" in bad.stderr
    retire = diagctl("lifecycle", "incident", "close", "gpu-a-01", "--resolution", "RMA 4471",
                     "--to", "retire", *reg)  # fmt: skip
    assert retire.returncode == 0, retire.stderr
    assert json.loads(retire.stdout)["data"]["phase"] == "retire"
