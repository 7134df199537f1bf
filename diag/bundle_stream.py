"""Streaming a host's stdout into a sink as it arrives (a bundle is megabytes, and what
arrived before a disconnect must be kept), for the local and asyncssh transports.

The transports' `run` buffers stdout; a bundle needs the bytes as they come. `stream` runs
the same command the same way and hands each chunk to `sink`. The fabric transport has no
streaming path: its buffered stdout (capped by the transport) is handed over at the end.
A sink stops the session by raising `StopStream` (the cap on received bytes, a full disk).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import os
import signal
import time
from collections.abc import Callable, Sequence
from typing import Any

from diag.transport.base import CommandResult, Target, Transport, elapsed_ms, failed
from diag.transport.local import LocalTransport

Sink = Callable[[bytes], None]
STDERR_CAP = 1 << 20
CHUNK = 1 << 20
_SINK: contextvars.ContextVar[Sink | None] = contextvars.ContextVar(
    "diag_bundle_sink", default=None
)


class StopStream(Exception):
    """Raised by a sink: stop reading and end the session (the message says why)."""


async def pump(read: Callable[[int], Any], sink: Sink) -> None:
    while True:
        chunk = await read(CHUNK)
        if not chunk:
            return
        sink(chunk)


async def _stderr(read: Callable[[int], Any]) -> bytes:
    buf = bytearray()
    while chunk := await read(65536):
        buf += chunk
        del buf[:-STDERR_CAP]
    return bytes(buf)


async def stream_local(
    command: Sequence[str], stdin: bytes, timeout: float, sink: Sink
) -> CommandResult:
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
        return CommandResult(None, error="transport", message=f"cannot start {command[0]}: {exc}")
    assert proc.stdin and proc.stdout and proc.stderr

    async def talk() -> bytes:
        assert proc.stdin and proc.stdout and proc.stderr
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            proc.stdin.write(stdin)
            await proc.stdin.drain()
            proc.stdin.close()
        err = asyncio.ensure_future(_stderr(proc.stderr.read))
        try:
            await pump(proc.stdout.read, sink)
        finally:
            if not err.done():
                err.cancel()
        return await err

    try:
        err = await asyncio.wait_for(talk(), timeout)
    except (asyncio.TimeoutError, StopStream, asyncio.CancelledError) as exc:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        await proc.wait()
        if isinstance(exc, asyncio.CancelledError):
            raise
        if isinstance(exc, StopStream):
            return failed(t0, "transport", str(exc))
        return failed(t0, "timeout", f"no result within {timeout:g} s")
    return CommandResult(await proc.wait(), b"", err, elapsed_ms(t0))


def _streaming_ssh(transport: Transport) -> Transport:
    """The asyncssh transport with the same settings, whose exec streams to the current sink."""
    from diag.transport.asyncssh_transport import AsyncSSHTransport

    class StreamingSSH(AsyncSSHTransport):
        async def _exec(self, conn: Any, cmd: str, stdin: bytes, t0: float) -> CommandResult:
            sink = _SINK.get()
            if sink is None:
                return await super()._exec(conn, cmd, stdin, t0)
            proc = await conn.create_process(cmd, encoding=None)
            try:
                with contextlib.suppress(BrokenPipeError, OSError):
                    proc.stdin.write(stdin)
                    proc.stdin.write_eof()
                err = asyncio.ensure_future(_stderr(proc.stderr.read))
                try:
                    await pump(proc.stdout.read, sink)
                except StopStream as exc:
                    err.cancel()
                    return failed(t0, "transport", str(exc))
                done = await proc.wait(check=False)
                return CommandResult(done.exit_status, b"", await err, elapsed_ms(t0))
            finally:
                proc.close()

    if isinstance(transport, AsyncSSHTransport):
        return StreamingSSH(transport.s, transport.book)
    return transport


def streaming(transport: Transport) -> Transport:
    """The transport to stream with (asyncssh gets its streaming twin; others as they are)."""
    if transport.name == "asyncssh":
        return _streaming_ssh(transport)
    return transport


async def stream(
    transport: Transport,
    host: Target,
    command: Sequence[str],
    stdin: bytes,
    timeout: float,
    sink: Sink,
) -> CommandResult:
    """Run `command` on `host`, every stdout chunk to `sink`; the result's stdout is empty."""
    if isinstance(transport, LocalTransport):
        return await stream_local(command, stdin, timeout, sink)
    token = _SINK.set(sink)
    try:
        res = await transport.run(host, command, stdin, timeout)
    finally:
        _SINK.reset(token)
    if res.stdout:  # a buffering transport (fabric): all of it at once
        try:
            sink(res.stdout)
        except StopStream as exc:
            return CommandResult(None, b"", res.stderr, res.duration_ms, "transport", str(exc))
        return CommandResult(
            res.exit_code, b"", res.stderr, res.duration_ms, res.error, res.message
        )
    return res
