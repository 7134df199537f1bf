"""`diagctl lifecycle maintain` end to end: a real sshd host that "reboots" (tests/integration/
lifecycle/rebootable.py: its boot id changes and its sshd goes away for a second), drained and
resumed through a real Slurm controller (the probe tests' slurmctld + slurmds), a real SQLite
registry, and the audit log. A passing run leaves a reboot intent on the host, a new boot id,
the node resumed and the asset back in monitor; a host that does not return stays drained and
its asset goes to incident; a failing command stops the run before the next wave."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

from tests.integration.lifecycle import rebootable

sys.path.insert(0, str(Path(__file__).parents[1] / "probes"))
from probes_support import Slurm

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]
CHECKS = "gpu.inventory,gpu.driver"  # deterministic here: no GPU, none expected


@pytest.fixture
def host(ssh_keys, tmp_path: Path):  # type: ignore[no-untyped-def]
    h = rebootable.start(ssh_keys, tmp_path / "host")
    yield h
    h.stop()


def _setup(tmp: Path, hosts: dict[str, tuple[int, str]], keys, slurm: Slurm, diagctl) -> Path:  # type: ignore[no-untyped-def]
    """Inventory, known_hosts, act config, and each host's asset in phase monitor."""
    from lifecycle.phases import Decision, Phase, Verdict
    from lifecycle.registry.store import AssetInfo, open_registry

    inv = {"vars": {"user": "root", "key": str(keys.clientkey)},
           "hosts": {n: {"address": "127.0.0.1", "port": p, "node": node}
                     for n, (p, node) in hosts.items()}}  # fmt: skip
    (tmp / "inv.yaml").write_text(yaml.safe_dump(inv))
    pub = keys.hostkey.with_suffix(".pub").read_text().split()
    (tmp / "kh").write_text(
        "".join(f"[127.0.0.1]:{p} {pub[0]} {pub[1]}\n" for p, _ in hosts.values())
    )
    (tmp / "act.yaml").write_text(yaml.safe_dump({"backend": "slurm", "max_cordon_fraction": 1.0}))
    reg = open_registry(f"sqlite:///{tmp / 'reg.db'}")
    forced = Decision(Verdict.FORCED, ("test set-up",))
    for name in hosts:
        a = reg.register(AssetInfo(f"id-{name}", name), "test")
        a = reg.get(a.host_id)
        reg.move(a.host_id, Phase.PROVISION, a.version, forced, "test", "set-up")
        reg.move(a.host_id, Phase.MONITOR, a.version + 1, forced, "test", "set-up")
    return tmp


def _maintain(diagctl, tmp: Path, *extra: str):  # type: ignore[no-untyped-def]
    return diagctl(
        "lifecycle", "maintain", "-i", str(tmp / "inv.yaml"), "--known-hosts", str(tmp / "kh"),
        "--connect-timeout", "3", "--check", CHECKS, "--json", "--registry", str(tmp / "reg.db"),
        "--act-config", str(tmp / "act.yaml"), "--act-audit", str(tmp / "audit.jsonl"),
        *extra,
    )  # fmt: skip


def _phases(tmp: Path) -> dict[str, str]:
    from lifecycle.registry.store import open_registry

    return {a.name: a.phase for a in open_registry(f"sqlite:///{tmp / 'reg.db'}").assets()}


def test_reboot_maintenance_drains_reboots_returns_and_resumes(
    host, ssh_keys, slurm: Slurm, tmp_path: Path, diagctl, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLURM_CONF", slurm.env["SLURM_CONF"])
    tmp = _setup(tmp_path, {"m1": (host.port, slurm.host)}, ssh_keys, slurm, diagctl)
    boot0 = host.boot_file.read_text().strip()
    dry = _maintain(diagctl, tmp, "--command", host.reboot_command(), "--reboots")
    assert dry.returncode == 0, dry.stderr
    plan = json.loads(dry.stdout)["data"]
    assert [(s["step"], s["result"]) for s in plan["steps"]] == [
        (s, "planned") for s in ("cordon", "precheck", "reboot_intent", "command", "return",
                                 "postcheck", "diff", "uncordon")
    ]  # fmt: skip
    assert host.boot_file.read_text().strip() == boot0 and not (tmp / "audit.jsonl").exists()
    assert _phases(tmp) == {"m1": "monitor"}

    res = _maintain(diagctl, tmp, "--command", host.reboot_command(), "--reboots", "--act",
                    "--return-timeout", "30", "--reason", "driver 550")  # fmt: skip
    assert res.returncode == 0, res.stderr + res.stdout
    env = json.loads(res.stdout)
    boot1 = host.boot_file.read_text().strip()
    assert boot1 != boot0
    d = env["data"]
    assert (env["kind"], env["status"], d["outcome"], d["node"], d["phase"]) == (
        "lifecycle.maintain",
        "pass",
        "passed",
        slurm.host,
        "monitor",
    )
    assert (d["boot_id_before"], d["boot_id_after"]) == (boot0, boot1)
    assert [(s["step"], s["result"]) for s in d["steps"]] == [
        ("cordon", "done"), ("precheck", "done"), ("reboot_intent", "done"), ("command", "done"),
        ("return", "done"), ("postcheck", "done"), ("diff", "done"), ("uncordon", "done"),
    ]  # fmt: skip
    intent = json.loads(host.intents.read_text().splitlines()[-1])
    assert (intent["action"], intent["boot_id"], intent["reason"]) == (
        "reboot",
        boot0,
        "driver 550",
    )
    assert "DRAIN" not in slurm.node(slurm.host)["State"]
    audit = [json.loads(x) for x in (tmp / "audit.jsonl").read_text().splitlines()]
    assert [(r["action"], r["node"], r["group"], r["result"]) for r in audit] == [
        ("cordon", slurm.host, "maintain", "done"),
        ("uncordon", slurm.host, "maintain", "done"),
    ]
    hist = diagctl("lifecycle", "history", "m1", "--json", "--registry", str(tmp / "reg.db"))
    rows = [json.loads(x)["data"] for x in hist.stdout.splitlines()]
    story = [(e["entry"], e["action"] or e["to_phase"], e["outcome"]) for e in rows][3:]
    assert story == [
        ("transition", "maintain", "pass"), ("action", "cordon", "pass"),
        ("action", "maintain_precheck", "pass"), ("action", "maintain_command", "pass"),
        ("action", "l1", "pass"), ("transition", "monitor", "pass"),
    ]  # fmt: skip


def test_a_host_that_does_not_return_stays_drained_and_opens_an_incident(
    host, ssh_keys, slurm: Slurm, tmp_path: Path, diagctl, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLURM_CONF", slurm.env["SLURM_CONF"])
    tmp = _setup(tmp_path, {"m1": (host.port, slurm.host), "m2": (host.port, "dgpn2")},
                 ssh_keys, slurm, diagctl)  # fmt: skip
    res = _maintain(diagctl, tmp, "--command", host.halt_command(), "--reboots", "--act",
                    "--return-timeout", "4")  # fmt: skip
    assert res.returncode == 3, res.stderr + res.stdout
    first, second = map(json.loads, res.stdout.splitlines())
    assert (first["host"]["name"], first["data"]["outcome"], first["data"]["phase"]) == (
        "m1",
        "failed",
        "incident",
    )
    ret = next(s for s in first["data"]["steps"] if s["step"] == "return")
    assert ret["result"] == "failed" and ret["message"].startswith("not back within 4 s (last: ")
    assert first["findings"][0]["message"] == f"return failed: {ret['message']}"
    assert (second["host"]["name"], second["data"]["outcome"], second["status"]) == (
        "m2",
        "not_started",
        "unknown",
    )
    assert second["data"]["steps"] == [
        {"step": "cordon", "result": "skipped", "message": "wave 0 failed on m1"}
    ]
    node = slurm.node(slurm.host)
    assert "DRAIN" in node["State"]
    assert node["Reason"].startswith("diagctl: maintain: maintenance [root@"), node["Reason"]
    assert "DRAIN" not in slurm.node("dgpn2")["State"]
    assert _phases(tmp) == {"m1": "incident", "m2": "monitor"}
