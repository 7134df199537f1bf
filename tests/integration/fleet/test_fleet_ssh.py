"""`diagctl health` over SSH against real sshd hosts, for both transports.

Every test runs the CLI as a subprocess against sshd processes started by the fixtures in
conftest.py (loopback ports, or network namespaces with their own IP and hostname).
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from diag.artifacts import host_dir
from tests.support.interrupt import interrupt_after_lines
from tests.support.net import free_port

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("transport", ["asyncssh", "fabric"])]


def envelopes(stdout: str) -> dict[str, dict]:  # type: ignore[type-arg]
    out = {}
    for line in stdout.splitlines():
        env = json.loads(line)
        out[env["host"]["name"]] = env
    return out


def base_args(keys, kh: Path, transport: str, *extra: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        "health",
        "--identity", str(keys.clientkey),
        "--known-hosts", str(kh),
        "--transport", transport,
        *extra,
    ]  # fmt: skip


@pytest.mark.timeout(90)
def test_all_healthy_netns_hosts_with_out_dir(
    netns_hosts, ssh_keys, tmp_path, diagctl, write_known_hosts, transport
):
    kh = write_known_hosts(tmp_path / "known_hosts", netns_hosts)
    inv = tmp_path / "inventory.yaml"
    inv.write_text(
        "groups:\n  gpu:\n    hosts: [gpu-node-1, gpu-node-2, gpu-node-3]\n"
        "    vars: {user: root, host_class: h100}\n"
        "hosts:\n" + "".join(f"  {h.name}: {{address: {h.addr}}}\n" for h in netns_hosts)
    )
    pol = tmp_path / "site.yaml"
    pol.write_text("classes:\n  h100: {description: the inventory's class}\n")
    out = tmp_path / "run1"
    r = diagctl(
        *base_args(ssh_keys, kh, transport, "-i", str(inv), "--policy", str(pol), "--out", str(out))
    )
    assert r.returncode in (0, 3), r.stderr
    envs = envelopes(r.stdout)
    assert sorted(envs) == ["gpu-node-1", "gpu-node-2", "gpu-node-3"]
    for i, h in enumerate(netns_hosts, 1):
        env = envs[h.name]
        assert env["host"]["address"] == h.addr
        assert env["host"]["hostname"] == f"gpu-node-{i}"  # its own UTS namespace answered
        assert env["data"]["payload_mode"] == "python"
        assert env["data"]["host_class"] == "h100"
        assert env["status"] not in ("unreachable", "error"), env["errors"]
        assert (host_dir(out, h.name) / "envelope.json").is_file()
        assert (host_dir(out, h.name) / "raw" / "payload.json").is_file()
    summary = json.loads((out / "run.json").read_text())
    assert summary["hosts"] == 3 and summary["exit_code"] == r.returncode
    # --replay re-analyses the run without touching any host: same hosts, same statuses.
    rr = diagctl("health", "--replay", str(out), "--policy", str(pol))
    assert {k: v["status"] for k, v in envelopes(rr.stdout).items()} == {
        k: v["status"] for k, v in envs.items()
    }


@pytest.mark.timeout(90)
def test_host_link_down_gives_timeout_envelope(
    netns_hosts, ssh_keys, tmp_path, diagctl, write_known_hosts, transport
):
    kh = write_known_hosts(tmp_path / "known_hosts", netns_hosts)
    down = netns_hosts[1]
    subprocess.run(["ip", "-n", down.netns, "link", "set", "eth0", "down"], check=True)
    hosts = ",".join(f"root@{h.addr}" for h in netns_hosts)
    t0 = time.monotonic()
    r = diagctl(*base_args(ssh_keys, kh, transport, "-H", hosts, "--timeout", "8",
                           "--connect-timeout", "3"))  # fmt: skip
    assert time.monotonic() - t0 < 30
    assert r.returncode == 4, r.stderr
    envs = envelopes(r.stdout)
    assert len(envs) == 3
    bad = envs[f"root@{down.addr}"]
    assert bad["status"] == "unreachable"
    assert bad["errors"][0]["code"] == "timeout", bad["errors"]
    for h in (netns_hosts[0], netns_hosts[2]):
        assert envs[f"root@{h.addr}"]["data"]["payload_mode"] == "python"


@pytest.mark.timeout(60)
def test_wrong_key_gives_auth_envelope(sshd, ssh_keys, tmp_path, diagctl, write_known_hosts,
                                       transport):  # fmt: skip
    good, other = sshd.start(), sshd.start()
    kh = write_known_hosts(tmp_path / "known_hosts", [good, other])
    wrong = ["--identity", str(ssh_keys.wrongkey), "--known-hosts", str(kh)]
    r = diagctl("health", "-H", f"{good.entry},{other.entry}", *wrong, "--transport", transport)
    assert r.returncode == 4
    for env in envelopes(r.stdout).values():
        assert env["status"] == "unreachable"
        assert env["errors"][0]["code"] == "auth", env["errors"]
        assert "authorized_keys" in env["errors"][0]["hint"]


@pytest.mark.timeout(60)
def test_changed_host_key_is_refused_even_with_accept_new(
    sshd, ssh_keys, tmp_path, diagctl, write_known_hosts, transport
):
    host, ok = sshd.start(hostkey=ssh_keys.hostkey2), sshd.start()
    # known_hosts lists the usual key for `host`, which now presents hostkey2.
    kh = write_known_hosts(tmp_path / "known_hosts", [host, ok], {host.name: ssh_keys.hostkey})
    before = kh.read_text()
    r = diagctl(*base_args(ssh_keys, kh, transport, "-H", f"{host.entry},{ok.entry}",
                           "--accept-new"))  # fmt: skip
    assert r.returncode == 4
    envs = envelopes(r.stdout)
    assert envs[host.entry]["errors"][0]["code"] == "host_key_changed"
    assert "never accepts" in envs[host.entry]["errors"][0]["hint"]
    assert envs[ok.entry]["status"] != "unreachable"
    assert kh.read_text() == before  # nothing was recorded


@pytest.mark.timeout(60)
def test_unknown_host_key_refused_then_recorded_with_accept_new(
    sshd, ssh_keys, tmp_path, diagctl, transport
):
    host = sshd.start()
    kh = tmp_path / "sub" / "known_hosts"  # does not exist yet
    r = diagctl(*base_args(ssh_keys, kh, transport, "-H", host.entry))
    env = envelopes(r.stdout)[host.entry]
    assert r.returncode == 4 and env["errors"][0]["code"] == "host_key_unknown"
    assert not kh.exists()
    r = diagctl(*base_args(ssh_keys, kh, transport, "-H", host.entry, "--accept-new"))
    assert envelopes(r.stdout)[host.entry]["data"]["payload_mode"] == "python"
    pub = ssh_keys.hostkey.with_suffix(".pub").read_text().split()[1]
    assert kh.read_text() == f"[127.0.0.1]:{host.port} ssh-ed25519 {pub}\n"
    # Now known: strict checking passes without --accept-new.
    r = diagctl(*base_args(ssh_keys, kh, transport, "-H", host.entry))
    assert envelopes(r.stdout)[host.entry]["status"] != "unreachable", r.stdout


@pytest.mark.timeout(60)
def test_host_without_python_runs_sh_fallback(
    sshd, ssh_keys, tmp_path, diagctl, write_known_hosts, transport
):
    host = sshd.start(no_python=True)
    kh = write_known_hosts(tmp_path / "known_hosts", [host])
    r = diagctl(*base_args(ssh_keys, kh, transport, "-H", host.entry))
    env = envelopes(r.stdout)[host.entry]
    assert env["data"]["payload_mode"] == "sh"
    assert env["data"]["facts"]["python"] == ""
    assert env["data"]["facts"]["hostname"]  # facts came through the sh JSON encoder
    assert "no_python" in [e["code"] for e in env["errors"]]
    by_check = {f["check_id"]: f for f in env["findings"]}
    # File and statvfs captures work in sh: these checks judged real numbers.
    assert by_check["host.cpu_load"]["status"] in ("pass", "warn", "fail")
    assert by_check["host.disk_space"]["status"] in ("pass", "warn", "fail")
    assert r.returncode in (0, 1, 3)


@pytest.mark.timeout(60)
def test_hanging_command_hits_the_deadline(
    sshd, ssh_keys, tmp_path, diagctl, write_known_hosts, transport
):
    hang = sshd.start(extra="ForceCommand exec sleep 20")
    ok = sshd.start()
    kh = write_known_hosts(tmp_path / "known_hosts", [hang, ok])
    t0 = time.monotonic()
    r = diagctl(*base_args(ssh_keys, kh, transport, "-H", f"{hang.entry},{ok.entry}",
                           "--timeout", "4"))  # fmt: skip
    assert time.monotonic() - t0 < 15
    envs = envelopes(r.stdout)
    assert envs[hang.entry]["errors"][0]["code"] == "timeout"
    assert "before the command finished" in envs[hang.entry]["errors"][0]["message"]
    assert envs[hang.entry]["duration_ms"] < 8000
    assert envs[ok.entry]["status"] != "unreachable"
    assert r.returncode == 4


@pytest.mark.timeout(60)
def test_output_flood_is_capped(sshd, ssh_keys, tmp_path, diagctl, write_known_hosts, transport):
    flood = sshd.start(extra="ForceCommand head -c 40000000 /dev/zero")
    kh = write_known_hosts(tmp_path / "known_hosts", [flood])
    r = diagctl(*base_args(ssh_keys, kh, transport, "-H", flood.entry, "--timeout", "20"))
    env = envelopes(r.stdout)[flood.entry]
    assert env["status"] == "error"
    assert env["errors"][0]["code"] == "transport"
    assert "byte cap" in env["errors"][0]["message"]
    assert len(r.stdout.encode()) < 64 * 1024


@pytest.mark.timeout(60)
def test_ctrl_c_keeps_finished_hosts_and_exits_130(
    sshd, ssh_keys, tmp_path, write_known_hosts, transport
):
    fast = [sshd.start(), sshd.start()]
    hang = sshd.start(extra="ForceCommand exec sleep 20")
    kh = write_known_hosts(tmp_path / "known_hosts", [*fast, hang])
    out = tmp_path / "out"
    entries = ",".join(h.entry for h in [*fast, hang])
    args = base_args(ssh_keys, kh, transport, "-H", entries, "--timeout", "30", "--out", str(out))
    argv = [sys.executable, "-m", "diag.cli", *args]
    code, stdout, err = interrupt_after_lines(argv, 2)  # the two fast hosts
    assert code == 130, err
    envs = envelopes(stdout)
    assert len(envs) == 3
    for h in fast:
        assert envs[h.entry]["status"] != "unreachable"
        assert (host_dir(out, h.entry) / "envelope.json").is_file()
    assert envs[hang.entry]["errors"][0] == {
        "code": "interrupted",
        "message": "interrupted before this host finished",
        "hint": "rerun for this host",
    }
    assert envs[hang.entry]["status"] == "unknown"  # we stopped, not the host
    assert json.loads((out / "run.json").read_text())["interrupted"] is True


@pytest.mark.timeout(60)
def test_jump_host_reaches_a_host_only_the_jump_can_see(
    netns_hosts, sshd, ssh_keys, tmp_path, diagctl, write_known_hosts, transport
):
    """The target listens on the loopback of gpu-node-1's namespace: only via the jump."""
    jump = netns_hosts[0]
    port = free_port()  # free here, so nothing answers on this machine's loopback
    inner = sshd.start(
        addr="127.0.0.1", port=port, netns=jump.netns, name="inner", hostname="behind-jump"
    )
    kh = write_known_hosts(tmp_path / "known_hosts", [jump, inner])
    entry = f"root@127.0.0.1:{port}"
    r = diagctl(*base_args(ssh_keys, kh, transport, "-H", entry, "--jump", f"root@{jump.addr}"))
    env = envelopes(r.stdout)[entry]
    assert env["host"]["hostname"] == "behind-jump", env["errors"]
    assert env["data"]["payload_mode"] == "python"
    # Without the jump the same entry reaches nothing (no sshd on this machine's :2222).
    r = diagctl(*base_args(ssh_keys, kh, transport, "-H", entry, "--timeout", "5"))
    assert envelopes(r.stdout)[entry]["status"] == "unreachable"


@pytest.mark.timeout(60)
def test_ssh_config_only_when_asked(
    sshd, ssh_keys, tmp_path, diagctl, write_known_hosts, transport
):
    """An alias resolves through --ssh-config (HostName, Port, User); without it, it does not."""
    host = sshd.start()
    kh = write_known_hosts(tmp_path / "known_hosts", [host])
    cfg = tmp_path / "ssh_config"
    cfg.write_text(f"Host gpu-alias\n  HostName 127.0.0.1\n  Port {host.port}\n  User root\n")
    r = diagctl(*base_args(ssh_keys, kh, transport, "-H", "gpu-alias", "--ssh-config", str(cfg)))
    env = envelopes(r.stdout)["gpu-alias"]
    assert env["data"]["payload_mode"] == "python", env["errors"]
    r = diagctl(*base_args(ssh_keys, kh, transport, "-H", "gpu-alias", "--timeout", "5"))
    assert envelopes(r.stdout)["gpu-alias"]["status"] == "unreachable"


@pytest.mark.timeout(60)
def test_command_that_ignores_stdin_is_payload_failed_not_unreachable(
    sshd, ssh_keys, tmp_path, diagctl, write_known_hosts, transport
):
    """A host whose command exits at once (never reads the payload) was reached: the
    envelope says payload_failed and --out keeps what it printed."""
    host = sshd.start(extra="ForceCommand echo restricted shell")
    kh = write_known_hosts(tmp_path / "known_hosts", [host])
    out = tmp_path / "out"
    r = diagctl(*base_args(ssh_keys, kh, transport, "-H", host.entry, "--out", str(out)))
    env = envelopes(r.stdout)[host.entry]
    assert env["status"] == "error" and env["errors"][0]["code"] == "payload_failed", env
    assert r.returncode == 1
    raw = host_dir(out, host.entry) / "raw" / "stdout.bin"
    assert raw.read_bytes() == b"restricted shell\n"


@pytest.mark.timeout(60)
def test_ipv6_entry(sshd, ssh_keys, tmp_path, diagctl, write_known_hosts, transport):
    with socket.socket(socket.AF_INET6) as s:
        s.bind(("::1", 0))
        port = int(s.getsockname()[1])
    host = sshd.start(addr="::1", port=port)
    kh = write_known_hosts(tmp_path / "known_hosts", [host])  # writes [::1]:PORT
    entry = f"root@[::1]:{port}"
    r = diagctl(*base_args(ssh_keys, kh, transport, "-H", entry))
    env = envelopes(r.stdout)[entry]
    assert env["host"]["address"] == "::1"
    assert env["data"]["payload_mode"] == "python", env["errors"]
