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

from diag.errors import StateError
from diag.files import atomic_write
from schemas.probe import CordonEvent, NodeState, StateFile, Verdict


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
    """The state, or StateError naming the file and the first bad field."""
    if not path.exists():
        return StateFile()
    try:
        return StateFile.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        raise StateError(
            f"{path}: unreadable state file: {_first_error(exc)}; move it aside"
        ) from exc
    except (OSError, ValueError) as exc:
        first = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
        raise StateError(f"{path}: unreadable state file ({first}); move it aside") from exc


def _first_error(exc: ValidationError) -> str:
    err = exc.errors(include_url=False)[0]
    if err["type"] == "json_invalid":
        return f"not valid JSON ({err['ctx'].get('error', '')})" if err.get("ctx") else "not JSON"
    loc = ".".join(str(x) for x in err["loc"]) or "(top level)"
    more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"field {loc}: {err['msg']}{more}"


def save(path: Path, state: StateFile) -> None:
    atomic_write(path, state.model_dump_json(indent=1).encode() + b"\n")


def advance(prev: NodeState, verdict: Verdict, now: float) -> NodeState:
    """Hysteresis counters after one verdict. Pure.

    zombie/down extend the failure streak and end the pass streak; healthy does the opposite;
    slow ends the pass streak and leaves the failure streak as it was (slow is not broken).
    """
    failing = {Verdict.ZOMBIE: True, Verdict.DOWN: True, Verdict.HEALTHY: False}.get(verdict)
    return count(prev, failing, now).model_copy(update={"last_verdict": verdict})


def count(prev: NodeState, failing: bool | None, now: float) -> NodeState:
    """The counters after one run: True extends the failure streak and ends the pass streak,
    False the opposite, None (neither: slow, unknown) ends the pass streak only. Pure."""
    fail, ok = prev.consecutive_fail, prev.consecutive_pass
    if failing is True:
        fail, ok = fail + 1, 0
    elif failing is False:
        fail, ok = 0, ok + 1
    else:
        ok = 0
    return prev.model_copy(
        update={"consecutive_fail": fail, "consecutive_pass": ok, "last_probe_at": now}
    )


def prune(events: list[CordonEvent], now: float, window_s: float) -> list[CordonEvent]:
    """diagctl's cordons still inside the blast-radius window. An event dated after `now`
    counts as happening now (see clamp_future), so it can never hold the window open."""
    return [e for e in events if now - min(e.at, now) < window_s]


def clamp_future(st: StateFile, now: float) -> list[str]:
    """Move cordon events and cordon times dated after `now` to `now`, in place.

    A clock that jumped forward and back (NTP step, bad RTC at boot) leaves events in the
    future; kept as they are, they would count against the breaker until the clock catches up,
    possibly for years. Clamped, they still count for one full window from now (the safe side),
    then expire. Returns one warning per clamped entry.
    """
    warnings = []
    for group, events in st.cordons.items():
        for i, e in enumerate(events):
            if e.at > now:
                warnings.append(
                    f"state: cordon of {e.node} in group {group!r} is dated "
                    f"{e.at - now:.0f} s in the future (clock jump?); counted as now"
                )
                events[i] = e.model_copy(update={"at": now})
    for node, ns in st.nodes.items():
        if ns.cordoned_at is not None and ns.cordoned_at > now:
            warnings.append(f"state: node {node} cordoned_at is {ns.cordoned_at - now:.0f} s "
                            "in the future (clock jump?); set to now")  # fmt: skip
            st.nodes[node] = ns.model_copy(update={"cordoned_at": now})
    return warnings
