"""playbooks/incident.yml under real ansible-runner (the AWX execution model) and retire.yml
under ansible-playbook, against a real sshd host in a network namespace (strict host keys), then
`diagctl ingest --phase incident|retire`: the asset goes to incident with its L1, reset-reason
and verified-bundle evidence as `diagctl lifecycle incident open --bundle-out` takes it; retire
is refused while the incident is open, exactly as `diagctl lifecycle retire` refuses it, and
moves the asset once it is back in monitor."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.integration.ansible_playbooks.plays import jsonl, play, require_ansible
from tests.integration.ansible_playbooks.test_ansible_ingest import _inventory
from tests.integration.fleet.conftest import SshdFactory, SshHost
from tests.support.net import free_port

pytestmark = pytest.mark.timeout(150)
CHECKS = "gpu.inventory,gpu.driver"


def _monitor_asset(db: Path, host_id: str, name: str) -> None:
    from lifecycle.phases import Decision, Phase, Verdict
    from lifecycle.registry.store import AssetInfo, open_registry

    reg = open_registry(f"sqlite:///{db}")
    a = reg.register(AssetInfo(host_id, name), "test")
    for to in (Phase.PROVISION, Phase.MONITOR):
        a = reg.get(host_id)
        reg.move(host_id, to, a.version, Decision(Verdict.FORCED, ("x",)), "t", "setup")


@pytest.mark.parametrize("netns_hosts", [1], indirect=True)
def test_incident_and_retire_move_like_the_lifecycle_commands(
    netns_hosts: list[SshHost], sshd: SshdFactory, write_known_hosts: Any, diagctl: Any,
    tmp_path: Path,
) -> None:  # fmt: skip
    require_ansible(runner=True)
    host = netns_hosts[0]
    inv = _inventory(tmp_path / "inventory.ini", netns_hosts, sshd.keys.clientkey, free_port())
    kh = write_known_hosts(tmp_path / "known_hosts", netns_hosts)
    host_id = json.loads(diagctl("health", "--local", "--json", "--check", "gpu.inventory")
                         .stdout)["host"]["host_id"]  # fmt: skip
    r_ing, r_cmd = tmp_path / "ingest.db", tmp_path / "command.db"
    for db in (r_ing, r_cmd):
        _monitor_asset(db, host_id, host.name)
    base = {"diagctl_known_hosts": str(kh), "diagctl_checks": CHECKS, "diagctl_timeout": 20,
            "diagctl_hosts": host.name, "diagctl_bundle_timeout": 60, "diagctl_since_hours": 1,
            "diagctl_total_cap": 4}  # fmt: skip
    out = tmp_path / "incident"
    log = play(tmp_path, "incident.yml", inv, {**base, "diagctl_out": str(out)}, runner=True)
    for part in ("l1", "reset-reason", "bundle"):
        assert (out / part / "hosts" / host.name / "collected.json").is_file(), log[-3000:]
    ing = diagctl("ingest", str(out), "--phase", "incident", "--reason", "Xid 79",
                  "--registry", str(r_ing), "--out", str(tmp_path / "j-inc"), "--check", CHECKS,
                  "--json")  # fmt: skip
    cmd = diagctl("lifecycle", "incident", "open", host.name, "--reason", "Xid 79", "-i",
                  str(inv), "--known-hosts", str(kh), "--check", CHECKS, "--bundle-out",
                  str(tmp_path / "b-cmd"), "--registry", str(r_cmd), "--json")  # fmt: skip
    assert (ing.returncode, cmd.returncode) == (0, 0), ing.stderr + cmd.stderr
    got, want = jsonl(ing.stdout)[host.name], json.loads(cmd.stdout)
    assert got["kind"] == "lifecycle.incident"
    keep = ("status", "findings", "host")
    assert {k: got[k] for k in keep} == {k: want[k] for k in keep}
    gd, wd = got["data"], want["data"]
    for d in (gd, wd):
        assert Path(d.pop("bundle")).name.endswith(".tar.gz") and ".incomplete" not in str(d)
        d.pop("bundle_sha256")
    assert gd == wd and gd["phase"] == "incident"
    # retire while the incident is open: refused on both paths, the same gate speaking
    rout = tmp_path / "retire"
    log = play(tmp_path, "retire.yml", inv, {**base, "diagctl_out": str(rout)})
    assert (rout / "bundle" / "hosts" / host.name / "collected.json").is_file(), log[-3000:]
    ing = diagctl("ingest", str(rout), "--phase", "retire", "--reason", "end of lease",
                  "--registry", str(r_ing), "--out", str(tmp_path / "j-r1"), "--json")  # fmt: skip
    cmd = diagctl("lifecycle", "retire", host.name, "--reason", "end of lease", "--registry",
                  str(r_cmd), "--json")  # fmt: skip
    missing = "cannot retire: incident resolution: not captured"
    assert (ing.returncode, ing.stdout) == (2, ""), ing.stderr
    assert ing.stderr == f"diagctl: {host.name}: {missing}\n"
    assert (cmd.returncode, cmd.stderr) == (2, f"Error: {host.name}: {missing}\n")
    # back in monitor (an operator's forced move on both): retire moves on both
    for db in (r_ing, r_cmd):
        res = diagctl("lifecycle", "move", host.name, "--to", "monitor", "--force", "--reason",
                      "false alarm", "--registry", str(db))  # fmt: skip
        assert res.returncode == 0, res.stderr
    ing = diagctl("ingest", str(rout), "--phase", "retire", "--reason", "end of lease",
                  "--registry", str(r_ing), "--out", str(tmp_path / "j-r2"), "--json")  # fmt: skip
    cmd = diagctl("lifecycle", "retire", host.name, "--reason", "end of lease", "--registry",
                  str(r_cmd), "--json")  # fmt: skip
    assert (ing.returncode, cmd.returncode) == (0, 0), ing.stderr + cmd.stderr
    a_ing, a_cmd = json.loads(ing.stdout)["data"], json.loads(cmd.stdout)["data"]
    assert (a_ing["phase"], a_cmd["phase"]) == ("retire", "retire")
    hist = diagctl("lifecycle", "history", host_id, "--json", "--registry", str(r_ing))
    rows = [json.loads(line)["data"] for line in hist.stdout.splitlines()]
    finals = [r for r in rows if r["action"] == "final_bundle"]
    verified = ("pass", "final L2 bundle verified")
    assert [(r["outcome"], r["reason"]) for r in finals] == [verified] * 2
    landed = tmp_path / "j-r2" / "bundle" / "hosts" / host.name
    assert finals[-1]["evidence"][0]["path"].startswith(str(landed))
    # each disk's erase capability: recorded once (the refused ingest recorded nothing), the
    # disks `lifecycle retire` detects on the same host (its dry run detects without recording)
    erase = [r for r in rows if r["action"] == "erase_detect"]
    assert (rout / "erase" / "hosts" / host.name / "collected.json").is_file()
    dry = diagctl("lifecycle", "retire", host.name, "--reason", "end of lease", "-i", str(inv),
                  "--known-hosts", str(kh), "--registry", str(r_cmd), "--json")  # fmt: skip
    assert dry.returncode == 0, dry.stderr
    devices = json.loads(dry.stdout)["data"]["devices"]
    summary = "; ".join(f"{d['device']}: {', '.join(d['methods_supported']) or 'none'}"
                        for d in devices)  # fmt: skip
    unsure = not devices or any(d["unknown"] for d in devices)
    assert [(r["outcome"], r["reason"]) for r in erase] == [
        ("unknown" if unsure else "pass", summary or "no NVMe or SATA disk found")
    ]
    assert [json.loads(p["note"]) for p in erase[0]["evidence"]] == devices
