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
    on timeout and on any exception, Ctrl-C included."""

    name = "local"
    blocking = True

    async def run(
        self, host: Target, command: Sequence[str], stdin: bytes, timeout: float
    ) -> CommandResult:
        t0 = time.monotonic()
        try:
            proc = subprocess.Popen(
                list(command),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as exc:
            return CommandResult(
                None, error="transport", message=f"cannot start {command[0]}: {exc}"
            )
        try:
            out, err = proc.communicate(stdin, timeout)
        except subprocess.TimeoutExpired:
            _kill(proc)
            return failed(t0, "timeout", f"no result within {timeout:g} s")
        except BaseException:
            _kill(proc)
            raise
        return CommandResult(proc.returncode, out, err, elapsed_ms(t0))

    async def close(self) -> None:
        return None


def _kill(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()
