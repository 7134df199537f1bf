"""Fixtures for the probe integration tests: real llama.cpp servers, a real Slurm controller,
a dgp-prefixed network namespace with a rate-limited link. Everything is stopped/removed at
teardown, even when the test fails."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from probes_llama import LlamaServer, start_server, write_tiny_gguf
from probes_support import EXTRA_NODES, SLURM_CONF, SlowLink, Slurm, extra_nodes_conf, free_port

from tests.support.components import require, require_binaries, require_root


def _need_llama() -> None:
    try:
        import gguf  # noqa: F401
        import llama_cpp  # noqa: F401
    except ImportError as exc:  # CI installs the [probes-test] extra via scripts/test-all.sh
        require("llama-cpp-python[server] / gguf", False, f"pip install -e .[probes-test] ({exc})")


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _need_llama()
    return write_tiny_gguf(tmp_path_factory.mktemp("gguf") / "tiny.gguf")


@pytest.fixture
def llama(tiny_model: Path, tmp_path: Path) -> Iterator[Callable[..., LlamaServer]]:
    """Factory: llama(host=..., netns=...) starts one more server; all are stopped after."""
    started: list[LlamaServer] = []

    def make(**kw: object) -> LlamaServer:
        srv = start_server(tiny_model, tmp_path, **kw)  # type: ignore[arg-type]
        started.append(srv)
        return srv

    yield make
    for srv in started:
        srv.stop()


@pytest.fixture
def slurm(tmp_path: Path) -> Iterator[Slurm]:
    """slurmctld and four real slurmds on loopback: this host's `hostname -s` (as SlurmctldHost
    must be) and dgpn2..4 (`slurmd -N NAME`, each with its own Port=). All idle before use."""
    require_binaries(
        "slurmctld", "slurmd", "scontrol", "sinfo",
        why="apt-get install slurmctld slurmd slurm-client",
    )  # fmt: skip
    d = tmp_path / "slurm"
    for sub in ("state", "spool", "log"):
        (d / sub).mkdir(parents=True)
    host = socket.gethostname().split(".")[0]
    (d / "slurm.conf").write_text(
        SLURM_CONF.format(
            host=host, d=d, ctl_port=free_port(), d_port=free_port(), extra_nodes=extra_nodes_conf()
        )
    )
    s = Slurm(d, host)
    nodes = [host, *EXTRA_NODES]
    pids = [d / "slurmctld.pid"] + [d / f"slurmd-{n}.pid" for n in nodes]
    try:
        subprocess.run(["slurmctld"], env=s.env, check=True, timeout=30)
        subprocess.run(["slurmd"], env=s.env, check=True, timeout=30)
        for n in EXTRA_NODES:
            subprocess.run(["slurmd", "-N", n], env=s.env, check=True, timeout=30)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not all(
            s.sinfo_state(n).startswith("idle|") for n in nodes
        ):
            time.sleep(0.1)
        states = {n: s.sinfo_state(n) for n in nodes}
        assert all(v.startswith("idle|") for v in states.values()), states
        yield s
    finally:
        for pid_file in pids:
            _stop_daemon(pid_file)


def _stop_daemon(pid_file: Path) -> None:
    """SIGTERM the daemon named in pid_file, wait up to 5 s, then SIGKILL."""
    try:
        pid = int(pid_file.read_text().strip())
        os.kill(pid, signal.SIGTERM)
    except (OSError, ValueError):
        return
    for _ in range(50):
        if not Path(f"/proc/{pid}").exists():
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


# ---- A rate-limited link: a dgp network namespace behind a veth with tc tbf ---------------


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)


@pytest.fixture
def slow_link() -> Iterator[SlowLink]:
    """Namespace dgpS1 at 10.232.77.2, reached over veth dgpH1 (10.232.77.1); both directions
    shaped with `tc qdisc ... tbf rate 8kbit` (about 1 KB/s: each SSE chunk takes ~0.2 s)."""
    require_root("the slow link is a network namespace with tc shaping")
    require_binaries("ip", "tc", why="apt-get install iproute2")
    ns, hif = "dgpS1", "dgpH1"
    subprocess.run(["ip", "link", "del", hif], capture_output=True, check=False, timeout=10)
    subprocess.run(["ip", "netns", "del", ns], capture_output=True, check=False, timeout=10)
    try:
        _ip("netns", "add", ns)
        _ip("link", "add", hif, "type", "veth", "peer", "name", "eth0", "netns", ns)
        _ip("addr", "add", "10.232.77.1/30", "dev", hif)
        _ip("link", "set", hif, "up")
        _ip("-n", ns, "addr", "add", "10.232.77.2/30", "dev", "eth0")
        _ip("-n", ns, "link", "set", "lo", "up")
        _ip("-n", ns, "link", "set", "eth0", "up")
        tbf = ["tbf", "rate", "8kbit", "burst", "1600", "latency", "5s"]
        subprocess.run(["tc", "qdisc", "add", "dev", hif, "root", *tbf], check=True, timeout=10)
        subprocess.run(["ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", "eth0", "root",
                        *tbf], check=True, timeout=10)  # fmt: skip
        yield SlowLink(ns, hif, "10.232.77.2")
    finally:
        subprocess.run(["ip", "link", "del", hif], capture_output=True, check=False, timeout=10)
        subprocess.run(["ip", "netns", "del", ns], capture_output=True, check=False, timeout=10)
