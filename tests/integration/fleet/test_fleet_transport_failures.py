"""Both SSH transports name the same failure the same way, and leave nothing running on a host.

Real listeners on 127.0.0.1 (silent, closed, closing at once) and real sshd (wrong client key,
changed host key, a command past its deadline); each case runs through asyncssh AND fabric and
the two results must equal one pinned (kind, message).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from diag.transport.base import CommandResult, Target, Transport
from diag.transport.ssh_common import SSHSettings
from tests.support.net import free_port

pytestmark = [pytest.mark.integration]
TRANSPORTS = ("asyncssh", "fabric")


def make(name: str, settings: SSHSettings) -> Transport:
    if name == "fabric":
        from diag.transport.fabric_transport import FabricTransport

        return FabricTransport(settings)
    from diag.transport.asyncssh_transport import AsyncSSHTransport

    return AsyncSSHTransport(settings)


def run_both(
    settings: SSHSettings, target: Target, argv: list[str], timeout: float = 10
) -> dict[str, CommandResult]:
    async def one(name: str) -> CommandResult:
        t = make(name, settings)
        try:
            return await t.run(target, argv, b"", timeout)
        finally:
            await t.close()

    return {name: asyncio.run(one(name)) for name in TRANSPORTS}


@contextlib.contextmanager
def listener(mode: str) -> Iterator[int]:
    """A TCP port on 127.0.0.1: `silent` accepts and never sends a byte, `closes` accepts and
    closes at once, `refused` has nothing listening."""
    if mode == "refused":
        yield free_port()
        return
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    srv.settimeout(0.2)
    held: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            if mode == "closes":
                conn.close()
            else:
                held.append(conn)

    th = threading.Thread(target=serve, daemon=True)
    th.start()
    try:
        yield int(srv.getsockname()[1])
    finally:
        stop.set()
        th.join(5)
        for c in held:
            c.close()
        srv.close()


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("mode", "kind", "message"),
    [
        ("silent", "timeout", "connect timeout after 2 s"),
        ("refused", "unreachable", "connection refused by 127.0.0.1:{port}"),
        (
            "closes",
            "unreachable",
            "connection closed by 127.0.0.1:{port} before the SSH handshake finished",
        ),
    ],
)
def test_listener_failures_are_classified_alike(
    tmp_path: Path, mode: str, kind: str, message: str
) -> None:
    settings = SSHSettings(known_hosts=tmp_path / "kh", connect_timeout_s=2, use_agent=False)
    with listener(mode) as port:
        got = run_both(settings, Target("h", "127.0.0.1", port, user="root"), ["true"])
    want = (kind, message.format(port=port))
    assert {n: (r.error, r.message) for n, r in got.items()} == dict.fromkeys(TRANSPORTS, want)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_silent_listener_through_the_cli_is_one_envelope_no_traceback(transport: str) -> None:
    with listener("silent") as port:
        res = subprocess.run(
            [sys.executable, "-m", "diag.cli", "health", "-H", f"root@127.0.0.1:{port}",
             "--transport", transport, "--connect-timeout", "2", "--timeout", "10",
             "--known-hosts", "/dev/null"],
            capture_output=True, text=True, timeout=40, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    assert res.stderr == ""
    env = json.loads(res.stdout)
    assert (env["status"], env["errors"][0]["code"], env["errors"][0]["message"]) == (
        "unreachable",
        "timeout",
        "connect timeout after 2 s",
    )
    assert res.returncode == 4


@pytest.mark.timeout(60)
def test_wrong_key_and_changed_host_key_are_classified_alike(  # type: ignore[no-untyped-def]
    sshd, ssh_keys, tmp_path, write_known_hosts
) -> None:
    host = sshd.start()
    moved = sshd.start(hostkey=ssh_keys.hostkey2)
    kh = write_known_hosts(tmp_path / "kh", [host, moved], {moved.name: ssh_keys.hostkey})
    base = {"known_hosts": kh, "user": "root", "use_agent": False, "connect_timeout_s": 5}
    wrong = SSHSettings(identity=str(ssh_keys.wrongkey), **base)
    got = run_both(wrong, Target("h", "127.0.0.1", host.port), ["true"])
    refused = f"authentication refused by 127.0.0.1:{host.port} (no offered key was accepted)"
    want = ("auth", refused)
    assert {n: (r.error, r.message) for n, r in got.items()} == dict.fromkeys(TRANSPORTS, want)
    right = SSHSettings(identity=str(ssh_keys.clientkey), **base)
    got = run_both(right, Target("m", "127.0.0.1", moved.port), ["true"])
    want = (
        "host_key_changed",
        f"HOST KEY DIFFERS from known_hosts for 127.0.0.1:{moved.port} (not accepted)",
    )
    assert {n: (r.error, r.message) for n, r in got.items()} == dict.fromkeys(TRANSPORTS, want)


def _left_running(marker: str, wait_s: float = 8.0) -> str:
    """`pgrep -af marker` output once it is empty, or what is still there after wait_s."""
    deadline = time.monotonic() + wait_s
    while True:
        res = subprocess.run(["pgrep", "-af", marker], capture_output=True, text=True)
        if not res.stdout or time.monotonic() > deadline:
            return res.stdout
        time.sleep(0.1)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_timed_out_command_is_killed_on_the_host(  # type: ignore[no-untyped-def]
    sshd, ssh_keys, tmp_path, write_known_hosts, transport
) -> None:
    host = sshd.start()  # the sshd test hosts share this machine's process table
    kh = write_known_hosts(tmp_path / "kh", [host])
    settings = SSHSettings(known_hosts=kh, identity=str(ssh_keys.clientkey), user="root",
                           use_agent=False, connect_timeout_s=5)  # fmt: skip
    marker = f"300.{uuid.uuid4().int % 10**9:09d}"  # sleep accepts it: 300 s, a unique argv
    argv = ["sh", "-c", f"sleep {marker}; echo never"]

    async def go() -> CommandResult:
        t = make(transport, settings)
        try:
            return await t.run(Target("h", "127.0.0.1", host.port), argv, b"", 3)
        finally:
            await t.close()

    try:
        res = asyncio.run(go())
        assert (res.error, res.message) == (
            "timeout",
            "no result within 3 s (before the command finished)",
        )
        assert _left_running(marker) == ""
    finally:  # what this test started and left behind, by pid
        for line in _left_running(marker, 0).splitlines():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(line.split()[0]), signal.SIGKILL)
