"""Local transport: the payload runs in a subprocess on this machine (`--local`).

`LocalTransport` runs under an asyncio loop beside other work (probe restarts); `BlockingLocal`
is the one `diagctl health --local` uses: its coroutine never suspends, so the session drives it
without starting (or importing) asyncio.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Sequence

from diag.transport.base import CommandResult, Target, elapsed_ms, failed
from diag.transport.spawn import Started, spawn, stop
from diag.transport.spawn import kill as _kill


def local_name() -> str:
    """This machine's name as `socket.gethostname()` gives it: on Linux, glibc's gethostname(2)
    is uname(2)'s nodename, and both are decoded with the filesystem encoding, so the strings
    are equal (tests/unit/speed/test_import_diet.py) without importing `socket` (~1.5 ms)."""
    return os.uname().nodename


class LocalTransport:
    name = "local"
    blocking = False

    async def run(
        self, host: Target, command: Sequence[str], stdin: bytes, timeout: float
    ) -> CommandResult:
        import asyncio

        t0 = time.monotonic()
        try:
            proc = await asyncio.create_subprocess_exec(
                *command,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as exc:
            return CommandResult(
                None, error="transport", message=f"cannot start {command[0]}: {exc}"
            )
        try:
            out, err = await asyncio.wait_for(proc.communicate(stdin), timeout)
        except asyncio.TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()
            return failed(t0, "timeout", f"no result within {timeout:g} s")
        except asyncio.CancelledError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            raise
        return CommandResult(proc.returncode, out, err, elapsed_ms(t0))

    async def close(self) -> None:
        return None


class BlockingLocal:
    """The payload in a subprocess, waited for in this thread; killed (its whole process group)
    on timeout and on any exception, Ctrl-C included.

    `early`: a payload already running (diag.payload.early), adopted by the first run whose argv
    and stdin are byte-identical to its own, its deadline counted from its start; any other run
    kills it and starts its own.
    """

    name = "local"
    blocking = True

    def __init__(self, early: Started | None = None) -> None:
        self.early = early
        self.adopted_t0: float | None = None  # when the adopted payload started

    async def run(
        self, host: Target, command: Sequence[str], stdin: bytes, timeout: float
    ) -> CommandResult:
        early, self.early = self.early, None
        if early is not None:
            if (early.argv, early.stdin) == (tuple(command), stdin):
                self.adopted_t0 = early.t0
                return _collect(early.proc, None, early.t0, timeout)
            stop(early)
        t0 = time.monotonic()
        try:
            proc = spawn(command)
        except OSError as exc:
            return CommandResult(
                None, error="transport", message=f"cannot start {command[0]}: {exc}"
            )
        return _collect(proc, stdin, t0, timeout)

    async def close(self) -> None:
        if self.early is not None:
            stop(self.early)
            self.early = None


def _collect(
    proc: subprocess.Popen[bytes], stdin: bytes | None, t0: float, timeout: float
) -> CommandResult:
    """Its output, or `timeout` `timeout` seconds after t0; killed on any exception."""
    try:
        out, err = proc.communicate(stdin, max(0.0, timeout - (time.monotonic() - t0)))
    except subprocess.TimeoutExpired:
        _kill(proc)
        return failed(t0, "timeout", f"no result within {timeout:g} s")
    except BaseException:
        _kill(proc)
        raise
    return CommandResult(proc.returncode, out, err, elapsed_ms(t0))
