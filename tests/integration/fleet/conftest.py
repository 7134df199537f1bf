"""Real OpenSSH sshd test hosts: loopback ports, and network namespaces with their own IP.

Each sshd runs in its own mount namespace (`unshare --mount`) where the login user's
~/.bashrc is replaced by a file of the test's choosing: empty for normal hosts (so a heavy
developer .bashrc, e.g. pyenv init, does not slow or skew the tests), and
`export PATH=<dir without python3>` for the "host without python3" case. Nothing on the
machine itself changes. Every sshd is terminated and every namespace/veth/bridge removed in
finalizers, even when a test fails.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.components import require_binaries, require_root
from tests.support.net import free_port, stop
from tests.support.sshd import SSHD, keygen, sshd_config

PREFIX = "dgf"  # every netns/veth/bridge name starts with this
SUBNET = "10.237.0"  # this area's own range
NOPY_TOOLS = (
    "sh", "cat", "head", "tail", "wc", "awk", "mawk", "tr", "stat", "df", "uname", "id",
    "getconf", "date", "bash", "timeout",
)  # fmt: skip


def _need(binary: str) -> str:
    require_binaries(binary, why="scripts/test-all.sh installs it")
    return shutil.which(binary) or binary


@dataclass
class SshHost:
    name: str
    addr: str
    port: int
    proc: subprocess.Popen[bytes]
    hostkey: Path
    netns: str = ""

    @property
    def entry(self) -> str:
        return f"root@{self.addr}:{self.port}"


@dataclass
class Keys:
    d: Path
    hostkey: Path
    hostkey2: Path
    clientkey: Path
    wrongkey: Path
    bashrc_empty: Path
    bashrc_nopy: Path


@pytest.fixture(scope="session")
def ssh_keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    _need(SSHD)
    _need("ssh-keygen")
    _need("unshare")
    require_root("the sshd test hosts need mount namespaces and root login")
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    d = tmp_path_factory.mktemp("ssh")
    keys = Keys(
        d,
        d / "hostkey",
        d / "hostkey2",
        d / "clientkey",
        d / "wrongkey",
        d / "bashrc_empty",
        d / "bashrc_nopy",
    )
    for k in (keys.hostkey, keys.hostkey2, keys.clientkey, keys.wrongkey):
        keygen(k)
    (d / "authorized_keys").write_text(keys.clientkey.with_suffix(".pub").read_text())
    nopy = d / "nopybin"
    nopy.mkdir()
    for tool in NOPY_TOOLS:
        real = shutil.which(tool, path="/usr/bin:/bin")
        if real:
            (nopy / tool).symlink_to(os.path.realpath(real))
    keys.bashrc_empty.write_text("")
    keys.bashrc_nopy.write_text(f"export PATH={nopy}\n")
    return keys


def _wait_banner(
    addr: str, port: int, proc: subprocess.Popen[bytes], netns: str, pidfile: str = ""
) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"sshd {addr}:{port} exited rc={proc.returncode}")
        if netns and addr.startswith("127."):  # that namespace's own loopback
            try:
                pid = Path(pidfile).read_text().strip() if pidfile else ""
            except OSError:
                pid = ""
            if pid:
                time.sleep(0.05)
                return
            time.sleep(0.02)
            continue
        try:
            with socket.create_connection((addr, port), timeout=0.5) as s:
                if s.recv(4).startswith(b"SSH-"):
                    return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"sshd {addr}:{port} gave no banner within 10 s")


@dataclass
class SshdFactory:
    keys: Keys
    hosts: list[SshHost] = field(default_factory=list)
    counter: int = 0

    def start(
        self,
        addr: str = "127.0.0.1",
        port: int = 0,
        name: str = "",
        extra: str = "",
        hostkey: Path | None = None,
        no_python: bool = False,
        netns: str = "",
        hostname: str = "",
    ) -> SshHost:
        self.counter += 1
        port = port or free_port()
        tag = f"{self.counter}_{port}"
        hk = hostkey or self.keys.hostkey
        conf = self.keys.d / f"sshd_{tag}.conf"
        conf.write_text(
            sshd_config(
                port,
                addr,
                str(hk),
                f"{self.keys.d}/authorized_keys",
                pidfile=f"{self.keys.d}/sshd_{tag}.pid",
                extra="MaxStartups 200:30:400\nMaxSessions 50\n" + extra,
            )
        )
        bashrc = self.keys.bashrc_nopy if no_python else self.keys.bashrc_empty
        home_rc = Path.home() / ".bashrc"
        steps = []
        if hostname:
            steps.append(f"hostname {hostname}")
        if home_rc.exists():
            steps.append(f"mount --bind {bashrc} {home_rc}")
        elif no_python:
            raise RuntimeError("no ~/.bashrc to override for the no-python host")
        steps.append(f"exec {SSHD} -D -e -f {conf}")
        argv = ["unshare", "--mount", "--propagation", "private"]
        if hostname:
            argv.append("--uts")
        argv += ["sh", "-c", " && ".join(steps)]
        if netns:
            argv = ["ip", "netns", "exec", netns, *argv]
        log = open(self.keys.d / f"sshd_{tag}.log", "wb")  # noqa: SIM115 - lives with the sshd
        proc = subprocess.Popen(argv, stdout=log, stderr=log)
        host = SshHost(name or f"{addr}:{port}", addr, port, proc, hk, netns)
        self.hosts.append(host)
        _wait_banner(addr, port, proc, netns, f"{self.keys.d}/sshd_{tag}.pid")
        return host

    def stop_all(self) -> None:
        for h in self.hosts:
            stop(h.proc)


@pytest.fixture
def sshd(ssh_keys: Keys) -> Iterator[SshdFactory]:
    factory = SshdFactory(ssh_keys)
    try:
        yield factory
    finally:
        factory.stop_all()


def known_hosts_for(
    path: Path, hosts: list[SshHost], key_of: dict[str, Path] | None = None
) -> Path:
    lines = []
    for h in hosts:
        pub = (key_of or {}).get(h.name, h.hostkey).with_suffix(".pub").read_text().split()
        name = h.addr if h.port == 22 else f"[{h.addr}]:{h.port}"
        lines.append(f"{name} {pub[0]} {pub[1]}\n")
    path.write_text("".join(lines))
    return path


def _ip(*args: str, check: bool = True) -> None:
    subprocess.run(["ip", *args], check=check, capture_output=True)


@dataclass
class Netns:
    names: list[str] = field(default_factory=list)
    veths: list[str] = field(default_factory=list)
    bridge: str = ""

    def down(self) -> None:
        # Whatever still runs in a namespace goes first: an sshd session whose client was an
        # ssh ControlMaster (ansible's ControlPersist) outlives its listener, and once the veth
        # is gone it never hears the client leave, so it would wait there for ever.
        for n in self.names:
            res = subprocess.run(["ip", "netns", "pids", n], capture_output=True, text=True)
            for pid in res.stdout.split():
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(pid), signal.SIGKILL)
        for v in self.veths:
            _ip("link", "del", v, check=False)
        for n in self.names:
            _ip("netns", "del", n, check=False)
        if self.bridge:
            _ip("link", "del", self.bridge, check=False)


@pytest.fixture
def netns_hosts(sshd: SshdFactory, request: pytest.FixtureRequest) -> Iterator[list[SshHost]]:
    """N hosts (indirect param, default 3), each in its own netns at 10.237.0.1i:22 with
    hostname gpu-node-i, behind bridge dgfbr0 (10.237.0.1)."""
    _need("ip")
    n = getattr(request, "param", 3)
    tag = f"{os.getpid() % 1000}"
    net = Netns(bridge=f"{PREFIX}br{tag}")
    try:
        _ip("link", "add", net.bridge, "type", "bridge")
        _ip("addr", "replace", f"{SUBNET}.1/24", "dev", net.bridge)
        _ip("link", "set", net.bridge, "up")
        hosts = []
        for i in range(1, n + 1):
            ns, veth = f"{PREFIX}{tag}n{i}", f"{PREFIX}{tag}h{i}"
            _ip("netns", "add", ns)
            net.names.append(ns)
            _ip("link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns)
            net.veths.append(veth)
            _ip("link", "set", veth, "master", net.bridge, "up")
            _ip("-n", ns, "addr", "add", f"{SUBNET}.{10 + i}/24", "dev", "eth0")
            _ip("-n", ns, "link", "set", "lo", "up")
            _ip("-n", ns, "link", "set", "eth0", "up")
            hosts.append(
                sshd.start(
                    addr=f"{SUBNET}.{10 + i}",
                    port=22,
                    name=f"gpu-node-{i}",
                    netns=ns,
                    hostname=f"gpu-node-{i}",
                )
            )
        yield hosts
    finally:
        sshd.stop_all()
        net.down()


def _diagctl(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "diag.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def diagctl():  # type: ignore[no-untyped-def]
    """Run `python -m diag.cli ARGS` as a subprocess; returns CompletedProcess (text)."""
    return _diagctl


@pytest.fixture
def write_known_hosts():  # type: ignore[no-untyped-def]
    """write_known_hosts(path, hosts, key_of={name: other_hostkey}) -> path."""
    return known_hosts_for
