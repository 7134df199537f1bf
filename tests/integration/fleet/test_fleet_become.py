"""`--become` against a real sshd, real non-root users and a real sudo.

Two throwaway users log in with the test key: one has a NOPASSWD sudoers drop-in, the other
none. The payload must run as root for the first (its facts say euid 0), and the second must
get one `become_failed` envelope at once, never a password prompt that hangs the run. The users,
their homes and the drop-in are removed afterwards, even when a test fails.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from diag.artifacts import host_dir
from tests.integration.fleet.conftest import Keys, _wait_banner
from tests.support.components import require_binaries
from tests.support.net import free_port, stop
from tests.support.sshd import SSHD, sshd_config

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("transport", ["asyncssh", "fabric"])]
TAG = f"dgb{os.getpid() % 100000}"
SUDOERS = Path(f"/etc/sudoers.d/diagctl-test-{TAG}")


@dataclass
class BecomeHost:
    port: int
    allowed: str  # NOPASSWD: ALL
    refused: str  # no sudoers entry at all
    kh: Path


def _need_sudo() -> None:
    require_binaries("sudo", "useradd", why="scripts/test-all.sh installs sudo")


def _add_user(name: str, pubkey: str) -> None:
    subprocess.run(["useradd", "-m", "-s", "/bin/sh", name], check=True, capture_output=True)
    # sshd without PAM refuses a locked account ("!"); "*" has no password but is not locked.
    subprocess.run(["usermod", "-p", "*", name], check=True)
    user = pwd.getpwnam(name)
    ssh = Path(user.pw_dir) / ".ssh"
    ssh.mkdir(mode=0o700)
    (ssh / "authorized_keys").write_text(pubkey)
    for p in (ssh, ssh / "authorized_keys"):
        os.chown(p, user.pw_uid, user.pw_gid)


@pytest.fixture(scope="module")
def become_host(ssh_keys: Keys, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BecomeHost]:
    _need_sudo()
    allowed, refused = f"{TAG}a", f"{TAG}b"
    d = tmp_path_factory.mktemp("become")
    proc = None
    try:
        for name in (allowed, refused):
            _add_user(name, ssh_keys.clientkey.with_suffix(".pub").read_text())
        draft = d / "sudoers"
        draft.write_text(f"{allowed} ALL=(ALL) NOPASSWD: ALL\n")
        subprocess.run(["visudo", "-cqf", str(draft)], check=True)
        draft.chmod(0o440)
        shutil.copy2(draft, SUDOERS)
        port = free_port()
        conf = d / "sshd.conf"
        # The users' own ~/.ssh/authorized_keys: sshd reads it as the user, who cannot read
        # root's temporary directory.
        conf.write_text(
            sshd_config(port, "127.0.0.1", str(ssh_keys.hostkey), ".ssh/authorized_keys")
        )
        log = open(d / "sshd.log", "wb")  # noqa: SIM115 - lives with the sshd
        proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(conf)], stdout=log, stderr=log)
        _wait_banner("127.0.0.1", port, proc, "")
        kh = d / "known_hosts"
        pub = ssh_keys.hostkey.with_suffix(".pub").read_text().split()
        kh.write_text(f"[127.0.0.1]:{port} {pub[0]} {pub[1]}\n")
        yield BecomeHost(port, allowed, refused, kh)
    finally:
        if proc is not None:
            stop(proc)
        SUDOERS.unlink(missing_ok=True)
        for name in (allowed, refused):
            subprocess.run(["userdel", "-r", "-f", name], capture_output=True)


def _health(bh: BecomeHost, keys: Keys, user: str, transport: str, *extra: str):  # type: ignore[no-untyped-def]
    args = [
        "health", "-H", f"{user}@127.0.0.1:{bh.port}", "--identity", str(keys.clientkey),
        "--known-hosts", str(bh.kh), "--transport", transport, "--check", "host.cpu_load",
        "--timeout", "30", *extra,
    ]  # fmt: skip
    t0 = time.monotonic()
    res = subprocess.run(
        [sys.executable, "-m", "diag.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    return res, time.monotonic() - t0


def _euid(out: Path, name: str) -> int:
    doc = json.loads((host_dir(out, name) / "raw" / "payload.json").read_text())
    return int(json.loads(doc["captures"]["facts"]["stdout"])["euid"])


@pytest.mark.timeout(120)
def test_become_runs_the_payload_as_root_through_passwordless_sudo(
    become_host: BecomeHost, ssh_keys: Keys, tmp_path: Path, transport: str
) -> None:
    name = f"{become_host.allowed}@127.0.0.1:{become_host.port}"
    plain, _ = _health(
        become_host, ssh_keys, become_host.allowed, transport, "--out", str(tmp_path / "a")
    )
    assert plain.returncode in (0, 3), plain.stdout + plain.stderr
    assert _euid(tmp_path / "a", name) == pwd.getpwnam(become_host.allowed).pw_uid
    res, _ = _health(
        become_host,
        ssh_keys,
        become_host.allowed,
        transport,
        "--become",
        "--out",
        str(tmp_path / "b"),
    )
    assert res.returncode in (0, 3), res.stdout + res.stderr
    env = json.loads(res.stdout)
    assert env["errors"] == [] and env["findings"][0]["check_id"] == "host.cpu_load"
    assert _euid(tmp_path / "b", name) == 0


@pytest.mark.timeout(120)
def test_become_where_sudo_wants_a_password_is_one_clear_error_at_once(
    become_host: BecomeHost, ssh_keys: Keys, transport: str
) -> None:
    res, took = _health(become_host, ssh_keys, become_host.refused, transport, "--become")
    assert res.returncode == 4, res.stderr
    env = json.loads(res.stdout)
    assert env["status"] == "unreachable" and env["findings"] == []
    assert env["errors"] == [
        {
            "code": "become_failed",
            "message": "sudo needs a password on this host (sudo -n)",
            "hint": "give the SSH user passwordless sudo (a NOPASSWD sudoers rule) or log in "
            "as root",
        }
    ]
    assert took < 20, "sudo -n answers at once; it never waits for a password"
