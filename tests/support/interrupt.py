"""Ctrl-C in the middle of a run, the way a terminal sends it."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Sequence


def interrupt_after_lines(
    argv: Sequence[str], lines: int, timeout: float = 20
) -> tuple[int, str, str]:
    """Start `argv`, wait for `lines` lines on its stdout, send SIGINT to that process only
    (it forwards to its own workers), and return (exit status, all of stdout, stderr)."""
    pipe = subprocess.PIPE
    proc = subprocess.Popen(
        list(argv), stdout=pipe, stderr=pipe, stdin=subprocess.DEVNULL, text=True
    )
    try:
        assert proc.stdout is not None
        head = [proc.stdout.readline() for _ in range(lines)]
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, "".join(head) + rest, err
