"""The state file: consecutive failures/passes per node, and what diagctl itself cordoned.

Overlapping cron runs are serialized by an exclusive `flock` on `<state>.lock`, held for the
whole round (probe, decide, act, save); the state itself is replaced atomically, so a reader
never sees half a file and a crash mid-write leaves the previous state.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from pydantic import ValidationError

from diag.artifacts import atomic_write
from schemas.probe import CordonEvent, NodeState, StateFile, Verdict


class StateError(Exception):
    """The state file is unreadable, invalid, or locked by another run for too long."""


@contextlib.contextmanager
def locked(path: Path, wait_s: float) -> Iterator[None]:
    """Hold an exclusive lock on `path.lock`; give up after `wait_s` (bounded polling)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = path.with_name(path.name + ".lock")
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    raise StateError(
                        f"{lock}: another probe run holds the lock (waited {wait_s:g} s)"
                    ) from exc
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def load(path: Path) -> StateFile:
    if not path.exists():
        return StateFile()
    try:
        return StateFile.model_validate_json(path.read_bytes())
    except (OSError, ValidationError, ValueError) as exc:
        first = str(exc).splitlines()[0]
        raise StateError(f"{path}: unreadable state file ({first}); move it aside") from exc


def save(path: Path, state: StateFile) -> None:
    atomic_write(path, state.model_dump_json(indent=1).encode() + b"\n")


def advance(prev: NodeState, verdict: Verdict, now: float) -> NodeState:
    """Hysteresis counters after one verdict. Pure.

    zombie/down extend the failure streak and end the pass streak; healthy does the opposite;
    slow ends the pass streak and leaves the failure streak as it was (slow is not broken).
    """
    fail, ok = prev.consecutive_fail, prev.consecutive_pass
    if verdict in (Verdict.ZOMBIE, Verdict.DOWN):
        fail, ok = fail + 1, 0
    elif verdict is Verdict.HEALTHY:
        fail, ok = 0, ok + 1
    else:
        ok = 0
    return prev.model_copy(
        update={
            "consecutive_fail": fail,
            "consecutive_pass": ok,
            "last_verdict": verdict,
            "last_probe_at": now,
        }
    )


def prune(events: list[CordonEvent], now: float, window_s: float) -> list[CordonEvent]:
    """diagctl's cordons still inside the blast-radius window."""
    return [e for e in events if now - e.at < window_s]
