"""playbooks/health.yml under real ansible-playbook and ansible-runner (PyPI), against real
OpenSSH sshd hosts in network namespaces, then `diagctl ingest`: the envelopes equal those of a
`diagctl health` fan-out over the same hosts.

Normalised, and only these: the timestamps and durations `collected_at`, `duration_ms`,
`data.payload_ms`, `data.checks[].duration_ms` and `data.facts.uptime_s` (seconds since boot,
read at a different instant). The checks are those whose readings do not drift between two runs
seconds apart (load, free memory, PSI, free disk and clock offset do): `STABLE`. An unreachable
host is compared by status and error code; its message is each transport's own wording.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.integration.fleet.conftest import SshdFactory, SshHost
from tests.support.components import require_binaries
from tests.support.net import free_port

ROOT = Path(__file__).parents[3]
BIN = Path(sys.executable).parent
STABLE = (
    "host.readonly_mounts,host.kernel_taint,host.oom_kills,gpu.inventory,gpu.driver,gpu.xid,"
    "host.systemd_failed,host.network"
)
pytestmark = pytest.mark.timeout(120)


def _require_ansible() -> None:
    require_binaries(str(BIN / "ansible-playbook"), why="pip install -e '.[dev]' (ansible-core)")


def _inventory(path: Path, hosts: list[SshHost], key: Path, down_port: int) -> Path:
    lines = [
        f"{h.name} ansible_host={h.addr} ansible_port={h.port} ansible_user=root "
        f"ansible_ssh_private_key_file={key}"
        for h in hosts
    ]
    lines.append(
        f"gpu-node-down ansible_host=127.0.0.1 ansible_port={down_port} ansible_user=root "
        f"ansible_ssh_private_key_file={key}"
    )
    path.write_text("[gpu]\n" + "\n".join(lines) + "\n")
    return path


def _env(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PATH=f"{BIN}:{env.get('PATH', '')}",
        ANSIBLE_HOME=str(tmp / "ansible-home"),
        ANSIBLE_LOCAL_TEMP=str(tmp / "ansible-tmp"),
        ANSIBLE_SSH_CONTROL_PATH_DIR=str(tmp / "cp"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_PYTHON_INTERPRETER=sys.executable,
    )
    return env


def _normal(env: dict[str, Any]) -> dict[str, Any]:
    env = json.loads(json.dumps(env))
    env["collected_at"], env["duration_ms"] = "T", 0
    data = env.get("data") or {}
    if data.get("facts"):
        data["facts"]["uptime_s"] = 0.0
    data["payload_ms"] = 0
    for run in data.get("checks", []):
        run["duration_ms"] = 0
    return env


def _by_name(stdout: str) -> dict[str, dict[str, Any]]:
    envs = [json.loads(ln) for ln in stdout.splitlines() if ln.startswith("{")]
    return {e["host"]["name"]: _normal(e) for e in envs}


def _compare(live: dict[str, dict[str, Any]], ingested: dict[str, dict[str, Any]]) -> None:
    assert sorted(live) == sorted(ingested)
    down_live, down_ing = live.pop("gpu-node-down"), ingested.pop("gpu-node-down")
    assert (down_ing["status"], down_ing["errors"][0]["code"]) == ("unreachable", "unreachable")
    assert (down_live["status"], down_live["errors"][0]["code"]) == ("unreachable", "unreachable")
    for name in live:
        assert ingested[name] == live[name], name
        assert live[name]["data"]["facts"]["hostname"] == name  # the namespace's own host


def _playbook_run(
    tmp: Path, inv: Path, kh: Path, out: Path, runner: bool, checking: bool = True
) -> str:
    extra = {
        "diagctl_out": str(out),
        "diagctl_known_hosts": str(kh),
        "diagctl_checks": STABLE,
        "diagctl_timeout": 20,
    }
    if not runner:
        argv = [str(BIN / "ansible-playbook"), "-i", str(inv), "-f", "8"]
        argv += [str(ROOT / "playbooks" / "health.yml"), "-e", json.dumps(extra)]
        res = subprocess.run(argv, capture_output=True, text=True, env=_env(tmp), timeout=90)
        return res.stdout + res.stderr
    # ansible-runner's layout (what an AWX execution node runs): private_data_dir with
    # project/ and inventory/; the playbook and its action_plugins/ copied in as a project.
    pdd = tmp / f"runner-{out.name}"
    shutil.copytree(ROOT / "playbooks", pdd / "project", ignore=shutil.ignore_patterns("*.pyc"))
    (pdd / "inventory").mkdir(parents=True)
    shutil.copy(inv, pdd / "inventory" / "hosts")
    (pdd / "env").mkdir()
    (pdd / "env" / "extravars").write_text(json.dumps(extra))
    if checking:  # ansible-runner (and AWX) turn host key checking off unless told otherwise
        (pdd / "env" / "envvars").write_text(json.dumps({"ANSIBLE_HOST_KEY_CHECKING": "True"}))
    argv = [str(BIN / "ansible-runner"), "run", str(pdd), "-p", "health.yml", "--forks", "8"]
    res = subprocess.run(argv, capture_output=True, text=True, env=_env(tmp), timeout=90)
    return res.stdout + res.stderr


@pytest.mark.parametrize("netns_hosts", [3], indirect=True)
@pytest.mark.parametrize("runner", [False, True], ids=["ansible-playbook", "ansible-runner"])
def test_playbook_and_ingest_equal_a_diagctl_fanout(
    netns_hosts: list[SshHost],
    sshd: SshdFactory,
    write_known_hosts: Any,
    diagctl: Any,
    tmp_path: Path,
    runner: bool,
) -> None:
    _require_ansible()
    if runner:
        require_binaries(str(BIN / "ansible-runner"), why="pip install -e '.[dev]'")
    key = sshd.keys.clientkey
    inv = _inventory(tmp_path / "inventory.ini", netns_hosts, key, free_port())
    kh = write_known_hosts(tmp_path / "known_hosts", netns_hosts)
    live = diagctl(
        "health", "-i", str(inv), "--known-hosts", str(kh), "--check", STABLE,
        "--timeout", "20", "--json", "--out", str(tmp_path / "live"),
    )  # fmt: skip
    assert live.returncode == 4, live.stderr
    out = tmp_path / "collected"
    log = _playbook_run(tmp_path, inv, kh, out, runner)
    assert "gpu-node-down" in log and (out / "payload" / "health.bin").is_file(), log[-3000:]
    sent = diagctl("payload", "show", "health", "--timeout", "20", "--check", STABLE)
    assert (out / "payload" / "health.bin").read_text() == sent.stdout  # what the hosts ran
    ing = diagctl("ingest", str(out), "--check", STABLE, "--json", "--out", str(tmp_path / "j"))
    assert ing.returncode == 4, ing.stderr
    _compare(_by_name(live.stdout), _by_name(ing.stdout))
    rec = json.loads((out / "hosts" / "gpu-node-down" / "collected.json").read_text())
    if runner:  # runner's default ANSIBLE_HOST_KEY_CHECKING=False: every host refused, recorded
        off = tmp_path / "unchecked"
        _playbook_run(tmp_path, inv, kh, off, runner, checking=False)
        for h in ["gpu-node-1", "gpu-node-2", "gpu-node-3", "gpu-node-down"]:
            doc = json.loads((off / "hosts" / h / "collected.json").read_text())
            assert (doc["outcome"], doc["rc"], doc["raw"], doc["message"]) == (
                "failed", None, {},
                "host_key_checking is off: diagctl never connects without checking host keys",
            )  # fmt: skip
    assert (rec["outcome"], rec["rc"], rec["raw"]) == ("unreachable", None, {})
    assert sorted(p.name for p in (tmp_path / "j" / "hosts").iterdir()) == [
        "gpu-node-1", "gpu-node-2", "gpu-node-3", "gpu-node-down",
    ]  # fmt: skip


@pytest.mark.parametrize("netns_hosts", [1], indirect=True)
def test_changed_host_key_is_recorded_never_accepted(
    netns_hosts: list[SshHost], sshd: SshdFactory, write_known_hosts: Any, diagctl: Any,
    tmp_path: Path,
) -> None:  # fmt: skip
    """known_hosts holds another key for the host: ssh refuses, the record says why, ingest
    writes a host_key_changed envelope."""
    _require_ansible()
    key = sshd.keys.clientkey
    inv = _inventory(tmp_path / "inventory.ini", netns_hosts, key, free_port())
    other = {netns_hosts[0].name: sshd.keys.hostkey2}
    kh = write_known_hosts(tmp_path / "known_hosts", netns_hosts, other)
    out = tmp_path / "collected"
    _playbook_run(tmp_path, inv, kh, out, runner=False)
    ing = diagctl("ingest", str(out), "--json")
    envs = _by_name(ing.stdout)
    assert envs[netns_hosts[0].name]["errors"][0]["code"] == "host_key_changed"
    assert envs[netns_hosts[0].name]["status"] == "unreachable"
    assert not (out / "hosts" / netns_hosts[0].name / "raw" / "stdout.bin").exists()
