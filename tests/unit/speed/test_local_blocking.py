"""`diagctl health --local` runs its one host without asyncio (diag.transport.local.BlockingLocal
driven by diag.session): a timeout, Ctrl-C and SIGTERM must still kill the payload's whole
process group and leave the one envelope they always left. Real subprocesses, real signals."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from diag.envelope import utc_now
from diag.fleet.blocking import drive as _drive
from diag.hostcheck import HealthOptions
from diag.policy import Policy
from diag.session import run_health
from diag.transport.base import Target
from diag.transport.local import BlockingLocal
from schemas.envelope import Envelope


def _gone(pid: int) -> bool:
    """Dead: no such process, or a zombie (a killed orphan waits there for init to reap it)."""
    end = time.monotonic() + 5
    while time.monotonic() < end:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except FileNotFoundError:
            return True
        if stat.rsplit(")", 1)[1].split()[0] in ("Z", "X"):
            return True
        time.sleep(0.02)
    return False


def _sleeper(tmp_path: Path) -> tuple[tuple[str, ...], Path]:
    """A payload that records its pid and its child's, then hangs."""
    pids = tmp_path / "pids"
    script = f"sleep 30 & echo $$ $! > {pids}; wait"
    return ("sh", "-c", script), pids


def _wait_for(path: Path) -> list[int]:
    end = time.monotonic() + 10
    while time.monotonic() < end:
        if path.exists() and len(path.read_text().split()) == 2:
            return [int(p) for p in path.read_text().split()]
        time.sleep(0.02)
    raise AssertionError(f"{path} never written")


def test_timeout_kills_the_process_group(tmp_path: Path) -> None:
    argv, pids = _sleeper(tmp_path)
    t0 = time.monotonic()
    res = _drive(BlockingLocal().run(Target(name="t"), argv, b"", 1.0))
    assert (res.exit_code, res.error, res.message) == (None, "timeout", "no result within 1 s")
    assert time.monotonic() - t0 < 5
    assert all(_gone(p) for p in _wait_for(pids))


def test_a_command_that_cannot_start_is_a_transport_error() -> None:
    res = _drive(BlockingLocal().run(Target(name="t"), ("/nonexistent/python3",), b"", 5.0))
    assert (res.exit_code, res.error) == (None, "transport")
    assert res.message.startswith("cannot start /nonexistent/python3: [Errno 2]")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_mid_run_leaves_one_interrupted_envelope(tmp_path: Path, signum: int) -> None:
    argv, pids = _sleeper(tmp_path)
    opts = HealthOptions(policy=Policy.load(), command=argv, timeout_s=60)
    got: list[Envelope] = []

    def fire() -> None:
        _wait_for(pids)
        os.kill(os.getpid(), signum)

    before = signal.getsignal(signal.SIGTERM)
    threading.Thread(target=fire, daemon=True).start()
    t0 = time.monotonic()
    res = run_health([Target(name="gpu-1")], BlockingLocal(), opts, got.append)
    assert time.monotonic() - t0 < 10
    assert res.interrupted and int(res.exit) == 130
    (env,) = got
    assert env.collected_at <= utc_now()
    assert (env.host.name, env.status.value, env.ok) == ("gpu-1", "unknown", False)
    assert [e.model_dump(mode="json") for e in env.errors] == [
        {
            "code": "interrupted",
            "message": "interrupted before this host finished",
            "hint": "rerun for this host",
        }
    ]
    assert all(_gone(p) for p in _wait_for(pids))
    assert signal.getsignal(signal.SIGTERM) == before  # the handler is given back
