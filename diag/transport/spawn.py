"""Starting a local payload process: the part of the local transport `--local` needs before
anything else loads (diag/payload/early.py), so it imports the standard library only and no
`dataclasses`, `typing` or transport types (`import dataclasses` pulls in `inspect`, ~10 ms).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from collections.abc import Sequence


class Started:
    """A payload process started ahead of its run (diag.payload.early); stdin already sent."""

    __slots__ = ("argv", "proc", "stdin", "t0")

    def __init__(
        self, proc: subprocess.Popen[bytes], argv: tuple[str, ...], stdin: bytes, t0: float
    ) -> None:
        self.proc, self.argv, self.stdin, self.t0 = proc, argv, stdin, t0


def spawn(argv: Sequence[str]) -> subprocess.Popen[bytes]:
    """`argv` with pipes, in its own process group (so a timeout kills all it started)."""
    return subprocess.Popen(
        list(argv),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def start(argv: Sequence[str], stdin: bytes) -> Started | None:
    """Start `argv` in its own process group and send it `stdin`; None if it cannot start (the
    run then starts it again and reports why)."""
    t0 = time.monotonic()
    try:
        proc = spawn(argv)
    except OSError:
        return None
    assert proc.stdin is not None
    with contextlib.suppress(BrokenPipeError):  # it exited early: its stderr says why
        proc.stdin.write(stdin)
    with contextlib.suppress(BrokenPipeError):
        proc.stdin.close()
    proc.stdin = None  # sent and closed: communicate() must not flush it again
    return Started(proc, tuple(argv), stdin, t0)


def kill(proc: subprocess.Popen[bytes]) -> None:
    """Kill `proc`'s whole process group and reap it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()


def stop(early: Started) -> None:
    """Kill a started payload nobody collected (a no-op once a run has collected it)."""
    if early.proc.returncode is None:
        kill(early.proc)
