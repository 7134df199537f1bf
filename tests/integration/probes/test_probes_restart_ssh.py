"""Restart over real SSH: `diagctl probe run --act` restarts a zombie's unit through the asyncssh
transport (diag/transport/asyncssh_transport.py, from the fleet issue) against a real sshd on
loopback, with strict host-key checking. There is no systemd here, so the client key is
restricted in authorized_keys to a forced command that accepts exactly
`systemctl restart llama.service` (sshd passes it as SSH_ORIGINAL_COMMAND) and continues the
SIGSTOPped, real llama.cpp server."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from probes_support import free_port, run_cli

from probes import audit
from tests.support.components import require_binaries
from tests.support.sshd import SSHD, keygen, sshd_config

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def _sshd(d: Path, pid: int) -> tuple[subprocess.Popen[bytes], int]:
    for name in ("hostkey", "clientkey"):
        keygen(d / name)
    forced = d / "forced.sh"
    forced.write_text(
        "#!/bin/sh\n"
        f'echo "$SSH_ORIGINAL_COMMAND" >> {d}/commands.log\n'
        '[ "$SSH_ORIGINAL_COMMAND" = "systemctl restart llama.service" ] || exit 5\n'
        f"kill -CONT {pid}\n"
    )
    forced.chmod(0o755)
    pub = (d / "clientkey.pub").read_text().strip()
    (d / "authorized_keys").write_text(f'command="{forced}",no-pty {pub}\n')
    (d / "authorized_keys").chmod(0o600)
    port = free_port()
    (d / "sshd.conf").write_text(
        sshd_config(port, "127.0.0.1", f"{d}/hostkey", f"{d}/authorized_keys", f"{d}/sshd.pid")
    )
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(d / "sshd.conf")],
                            stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), 0.5) as s:
                if s.recv(4).startswith(b"SSH-"):
                    break
        except OSError:
            time.sleep(0.05)
    host_pub = (d / "hostkey.pub").read_text().split()
    (d / "known_hosts").write_text(f"[127.0.0.1]:{port} {host_pub[0]} {host_pub[1]}\n")
    return proc, port


def test_restart_over_ssh_brings_the_zombie_back(llama, tmp_path) -> None:  # type: ignore[no-untyped-def]
    require_binaries(SSHD, "ssh-keygen", why="apt-get install openssh-server openssh-client")
    srv = llama()
    srv.pause()
    proc, port = _sshd(tmp_path, srv.proc.pid)
    try:
        group = {"backend": "command", "command_cordon": ["true"], "command_uncordon": ["true"],
                 "fail_threshold": 1, "deadline_s": 1, "max_cordon_fraction": 1,
                 "restart_units": ["llama.service"], "restart_wait_s": 10, "ssh_user": "root",
                 "ssh_port": port, "ssh_identity": str(tmp_path / "clientkey"),
                 "ssh_known_hosts": str(tmp_path / "known_hosts")}  # fmt: skip
        doc = {"targets": [{"name": "z", "url": srv.url, "model": "tiny", "node": "gpu-1",
                            "ssh_host": "127.0.0.1", "restart_unit": "llama.service",
                            "extra_body": {"logit_bias": {"2": -100}}}],
               "groups": {"default": group}}  # fmt: skip
        tf = tmp_path / "t.yaml"
        tf.write_text(yaml.safe_dump(doc))
        res = run_cli("probe", "run", "--targets", str(tf), "--state", str(tmp_path / "s.json"),
                      "--audit", str(tmp_path / "a.jsonl"), "--act")  # fmt: skip
    finally:
        proc.terminate()
        proc.wait(5)
    recs = audit.read(tmp_path / "a.jsonl")
    assert [(r.action.value, r.result.value) for r in recs] == [("restart", "done")], recs
    assert recs[0].evidence["verdict_after"] == "healthy"
    assert (tmp_path / "commands.log").read_text().strip() == "systemctl restart llama.service"
    assert res.returncode == 3, res.stderr  # this round's verdict was still zombie
