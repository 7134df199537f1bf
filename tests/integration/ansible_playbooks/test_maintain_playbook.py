"""playbooks/maintain.yml under real ansible-playbook, against the real sshd host that "reboots"
(tests/integration/lifecycle/rebootable.py: its boot id changes, its sshd goes away for a
second), draining through a real Slurm controller, a real SQLite registry and the audit log.

A passing wave leaves the same registry story and audit records as `diagctl lifecycle maintain
--act` on a twin registry (normalised: ids, times, who, evidence pointers and the command
output's digest, which Ansible's `shell` module hands over without its trailing newline), a
reboot intent written by Ansible's own modules in diagctl's format, a new boot id, the node
resumed. A failing command stops the play before the next wave: the node stays drained, the
asset goes to incident, the second host is never touched."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.integration.ansible_playbooks.plays import play, require_ansible
from tests.integration.lifecycle import rebootable
from tests.integration.lifecycle.test_maintain_ssh import CHECKS, _maintain, _phases, _setup
from tests.integration.probes.conftest import slurm  # noqa: F401 - real Slurm
from tests.integration.probes.probes_support import Slurm

STORY = [
    ("transition", "maintain", "pass", "driver 550: CMD"),
    ("action", "cordon", "pass", "State=DRAIN Reason=diagctl: maintain: driver 550"),
    ("action", "maintain_precheck", "pass", "health pass: 0 fail, 0 unknown"),
    ("action", "maintain_command", "pass", "exited 0"),
    ("action", "l1", "pass", "health pass: 0 fail, 0 unknown"),
    ("transition", "monitor", "pass", "maintenance passed its post-check"),
]
pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


@pytest.fixture
def host(ssh_keys, tmp_path: Path):  # type: ignore[no-untyped-def]
    h = rebootable.start(ssh_keys, tmp_path / "host")
    yield h
    h.stop()


def _ini(tmp: Path, hosts: dict[str, tuple[int, str]], key: Path) -> Path:
    lines = [f"{n} ansible_host=127.0.0.1 ansible_port={p} ansible_user=root "
             f"ansible_ssh_private_key_file={key} node={node}"
             for n, (p, node) in hosts.items()]  # fmt: skip
    (tmp / "hosts.ini").write_text("[gpu]\n" + "\n".join(lines) + "\n")
    return tmp / "hosts.ini"


def _vars(tmp: Path, command: str, **more: Any) -> dict[str, Any]:
    return {"diagctl_out": str(tmp / "snap"), "diagctl_command": command,
            "diagctl_registry": str(tmp / "reg.db"), "diagctl_act_config": str(tmp / "act.yaml"),
            "diagctl_act_audit": str(tmp / "audit.jsonl"), "diagctl_known_hosts": str(tmp / "kh"),
            "diagctl_act_state": str(tmp / "state.json"), "diagctl_checks": CHECKS,
            "diagctl_timeout": 20, **more}  # fmt: skip


def _story(
    diagctl: Any, tmp: Path, name: str, command: str = "\0"
) -> list[tuple[str, str, str, str]]:
    """The registry's story after the set-up; the command's text in a reason becomes CMD."""
    hist = diagctl("lifecycle", "history", name, "--json", "--registry", str(tmp / "reg.db"))
    rows = [json.loads(x)["data"] for x in hist.stdout.splitlines()]
    return [(e["entry"], e["action"] or e["to_phase"], e["outcome"],
             e["reason"].split(" [")[0].replace(command, "CMD")) for e in rows][3:]  # fmt: skip


def _audit(tmp: Path) -> list[tuple[str, str, str, str, str]]:
    recs = [json.loads(x) for x in (tmp / "audit.jsonl").read_text().splitlines()]
    return [(r["action"], r["node"], r["group"], r["result"], r["why"]) for r in recs]


def test_a_passing_wave_drains_reboots_postchecks_and_releases_like_maintain(
    host, ssh_keys, slurm: Slurm, tmp_path: Path, diagctl: Any,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    require_ansible()
    monkeypatch.setenv("SLURM_CONF", slurm.env["SLURM_CONF"])
    hosts = {"m1": (host.port, slurm.host)}
    native, via = tmp_path / "n", tmp_path / "a"
    for d in (native, via):
        d.mkdir()
        _setup(d, hosts, ssh_keys, slurm, diagctl)
    (host.d / "reboot.sh").write_text(host.reboot_command() + "\n")
    res = _maintain(diagctl, native, "--command", f"sh {host.d}/reboot.sh", "--reboots", "--act",
                    "--return-timeout", "30", "--reason", "driver 550")  # fmt: skip
    assert res.returncode == 0, res.stderr + res.stdout
    boot1 = host.boot_file.read_text().strip()

    inv = _ini(via, hosts, ssh_keys.clientkey)
    extra = _vars(
        via,
        "true",
        diagctl_reboot=True,
        diagctl_reason="driver 550",
        diagctl_reboot_command=f"sh {host.d}/reboot.sh",
        diagctl_reboot_timeout=30,
    )
    log = play(via, "maintain.yml", inv, extra)
    boot2 = host.boot_file.read_text().strip()
    assert boot2 != boot1, log[-3000:]
    mine = _story(diagctl, native, "m1", f"sh {host.d}/reboot.sh")
    assert _story(diagctl, via, "m1", "true") == mine == STORY, log[-3000:]
    assert [a[:4] for a in _audit(via)] == [a[:4] for a in _audit(native)] == [
        ("cordon", slurm.host, "maintain", "done"), ("uncordon", slurm.host, "maintain", "done"),
    ]  # fmt: skip
    assert "DRAIN" not in slurm.node(slurm.host)["State"]
    assert _phases(via) == {"m1": "monitor"}
    intents = [json.loads(x) for x in host.intents.read_text().splitlines()]
    assert [(i["action"], i["boot_id"], i["reason"]) for i in intents[-2:]] == [
        ("reboot", intents[-2]["boot_id"], "driver 550"), ("reboot", boot1, "driver 550"),
    ]  # fmt: skip
    pid = re.compile(r" pid \d+\)$")  # actor(): user@host pid N, one per process
    assert pid.sub(")", intents[-1]["requested_by"]) == pid.sub(")", intents[-2]["requested_by"])
    assert sorted(intents[-1]) == sorted(intents[-2])  # the same record, field for field
    assert json.loads((via / "snap" / "m1.precheck.json").read_text())["kind"] == "health.l1"


def test_a_failing_host_stays_drained_and_stops_the_next_wave(
    host, ssh_keys, slurm: Slurm, tmp_path: Path, diagctl: Any,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    require_ansible()
    monkeypatch.setenv("SLURM_CONF", slurm.env["SLURM_CONF"])
    hosts = {"m1": (host.port, slurm.host), "m2": (host.port, "dgpn2")}
    tmp = _setup(tmp_path, hosts, ssh_keys, slurm, diagctl)
    log = play(tmp, "maintain.yml", _ini(tmp, hosts, ssh_keys.clientkey),
               _vars(tmp, "echo flashing; exit 3"))  # fmt: skip
    assert "maintenance failed at Command's exit status (diagctl)" in log, log[-3000:]
    assert _story(diagctl, tmp, "m1") == [
        ("transition", "maintain", "pass", "maintenance: echo flashing; exit 3"),
        ("action", "cordon", "pass", "State=DRAIN Reason=diagctl: maintain: maintenance"),
        ("action", "maintain_precheck", "pass", "health pass: 0 fail, 0 unknown"),
        ("action", "maintain_command", "fail", "exited 3"),
        ("transition", "incident", "pass", "maintain command failed: exited 3"),
    ], log[-3000:]
    node = slurm.node(slurm.host)
    assert "DRAIN" in node["State"] and node["Reason"].startswith("diagctl: maintain: ")
    assert "DRAIN" not in slurm.node("dgpn2")["State"]
    assert _phases(tmp) == {"m1": "incident", "m2": "monitor"}
    assert _story(diagctl, tmp, "m2") == []
    assert [a[:4] for a in _audit(tmp)] == [("cordon", slurm.host, "maintain", "done")]
