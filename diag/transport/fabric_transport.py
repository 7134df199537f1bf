"""SSH with Fabric/paramiko (`--transport fabric`): one thread per in-flight host.

Fabric opens the connection (user, port, key, agent, gateway for a jump host, ssh_config
only when asked); the exec runs on a paramiko channel so stdin can be fed and output capped.
Host keys go through diagctl's own book (Fabric's default AutoAddPolicy is replaced).
Costs more jump-host CPU per host than asyncssh (measured: docs/benchmarks.md,
"Fleet fan-out: bench/fanout.py").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import paramiko
from fabric import Config, Connection

from diag.transport.base import CommandResult, ErrorKind, Target, elapsed_ms, failed
from diag.transport.ssh_common import (
    Attempt,
    Cause,
    KnownHostsBook,
    OutputFlood,
    SSHSettings,
    Verdict,
    become_result,
    classify,
    explicit_port,
    flood_message,
    parse_jump,
    remote_command,
    retryable,
)

# paramiko's transport thread logs every failed handshake (a silent or closing listener) as an
# ERROR with a full traceback, through logging's last-resort handler onto stderr. The failure
# is already the host's one-line envelope message.
logging.getLogger("paramiko").addHandler(logging.NullHandler())


class HostKeyRejected(paramiko.SSHException):  # type: ignore[misc]
    def __init__(self, verdict: Verdict) -> None:
        super().__init__(f"host key {verdict}")
        self.verdict = verdict


class DeadlinePassed(Exception):
    """The host's deadline passed while its command ran (a socket timeout is not this)."""


class _BookPolicy(paramiko.MissingHostKeyPolicy):  # type: ignore[misc]
    """Paramiko's own host-key store is left empty, so every key comes here."""

    def __init__(self, book: KnownHostsBook, host: str, port: int) -> None:
        self.book, self.host, self.port = book, host, port

    def missing_host_key(self, client: Any, hostname: str, key: Any) -> None:
        verdict = self.book.verdict(self.host, self.port, key.get_name(), key.asbytes())
        if verdict not in ("ok", "accepted"):
            raise HostKeyRejected(verdict)


class FabricTransport:
    name = "fabric"

    def __init__(
        self, settings: SSHSettings, threads: int = 64, book: KnownHostsBook | None = None
    ) -> None:
        self.s = settings
        self.book = book or KnownHostsBook(settings.known_hosts, settings.accept_new)
        self.pool = ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix="ssh")
        self._jumps: dict[str, Connection] = {}
        self._jump_lock = threading.Lock()

    def _config(self) -> Config:
        if self.s.ssh_config:
            return Config(runtime_ssh_path=str(self.s.ssh_config))
        return Config(overrides={"load_ssh_configs": False})

    def _connection(
        self, host: str, port: int | None, user: str, ident: str, gateway: Connection | None
    ) -> Any:
        kwargs: dict[str, Any] = {
            "look_for_keys": not ident,
            "allow_agent": self.s.use_agent,
            "banner_timeout": self.s.connect_timeout_s,
            "auth_timeout": self.s.connect_timeout_s,
        }
        if ident:
            kwargs["key_filename"] = [ident]
        conn = Connection(
            host,
            user=user or None,
            port=port,
            config=self._config(),
            gateway=gateway,
            connect_timeout=max(1, int(self.s.connect_timeout_s)),
            connect_kwargs=kwargs,
        )
        # conn.host/port as resolved through --ssh-config (HostName, Port), like OpenSSH.
        conn.client.set_missing_host_key_policy(_BookPolicy(self.book, conn.host, conn.port))
        return conn

    def _gateway(self, spec: str) -> Connection:
        with self._jump_lock:
            gw = self._jumps.get(spec)
            if gw is None:
                j = parse_jump(spec)
                gw = self._connection(j.host, j.port, j.user or self.s.user, self.s.identity, None)
                self._jumps[spec] = gw
            if not gw.is_connected:
                gw.open()
            return gw

    async def run(
        self, host: Target, command: Sequence[str], stdin: bytes, timeout: float
    ) -> CommandResult:
        t0 = time.monotonic()
        holder: dict[str, Any] = {"timeout_s": timeout}
        loop = asyncio.get_running_loop()
        fut = loop.run_in_executor(
            self.pool,
            self._blocking,
            host,
            remote_command(command, timeout, self.s.host_deadline, self.s.become),
            stdin,
            t0 + timeout,
            holder,
        )
        try:
            res = await asyncio.wait_for(asyncio.shield(fut), timeout)
            return become_result(res) if self.s.become else res
        except (asyncio.TimeoutError, TimeoutError):
            holder["stop"] = True
            _close(holder)  # unblocks the worker thread; its result is dropped
            where = "before the command finished" if holder.get("open") else "while connecting"
            return failed(t0, "timeout", f"no result within {timeout:g} s ({where})")
        except asyncio.CancelledError:
            holder["stop"] = True
            _close(holder)
            raise

    def _blocking(
        self, host: Target, cmd: str, stdin: bytes, deadline: float, holder: dict[str, Any]
    ) -> CommandResult:
        t0 = holder["t0"] = time.monotonic()
        jump = host.jump or self.s.jump
        try:
            gateway = self._gateway(jump) if jump else None
        except Exception as exc:
            j = parse_jump(jump)
            kind, msg = _classify(exc, self._attempt(j.host, j.port))
            return failed(t0, kind, f"jump host {jump}: {msg}")
        conn = self._connection(
            host.address,
            explicit_port(host),
            host.user or self.s.user,
            host.identity or self.s.identity,
            gateway,
        )
        holder["conn"] = conn
        try:
            self._open(conn)
            holder["open"] = True
            return self._exec(conn, cmd, stdin, deadline, holder)
        except OutputFlood as exc:
            return failed(t0, "transport", str(exc))
        except DeadlinePassed as exc:
            return failed(t0, "timeout", f"{exc} (before the command finished)")
        except Exception as exc:
            return failed(t0, *_classify(exc, self._attempt(conn.host, conn.port, holder)))
        finally:
            _close(holder)

    def _attempt(
        self, host: str, port: int | None, holder: dict[str, Any] | None = None
    ) -> Attempt:
        connected = bool(holder and holder.get("open"))
        return Attempt(f"{host}:{port or 22}", self.s.connect_timeout_s, connected)

    def _open(self, conn: Any) -> None:
        """Connect, retrying only refused/reset/closed connection setup (ssh_common.retryable)."""
        for attempt in range(self.s.connect_retries + 1):
            try:
                conn.open()
                return
            except Exception as exc:
                if attempt >= self.s.connect_retries or not retryable(exc, _cause(exc)):
                    raise
                time.sleep(0.25 * 2**attempt)

    def _exec(
        self, conn: Any, cmd: str, stdin: bytes, deadline: float, holder: dict[str, Any]
    ) -> CommandResult:
        t0 = holder["t0"]
        chan = conn.client.get_transport().open_session()
        chan.settimeout(0.5)
        chan.exec_command(cmd)
        try:
            chan.sendall(stdin)
            chan.shutdown_write()
        except OSError:
            pass  # the command exited without reading all of stdin: its output still counts
        out, err = bytearray(), bytearray()
        while True:
            if time.monotonic() > deadline or holder.get("stop"):
                raise DeadlinePassed(f"no result within {holder['timeout_s']:g} s")
            progressed = _drain(chan, out, err, self.s.max_stdout_bytes, self.s.max_stderr_bytes)
            if not progressed and chan.exit_status_ready() and chan.eof_received:
                break
            if not progressed and chan.closed:
                raise EOFError("channel closed before an exit status")
            if not progressed:
                time.sleep(0.005)
        return CommandResult(chan.recv_exit_status(), bytes(out), bytes(err), elapsed_ms(t0))

    async def close(self) -> None:
        for gw in self._jumps.values():
            gw.close()
        self._jumps.clear()
        self.pool.shutdown(wait=False, cancel_futures=True)


def _drain(chan: Any, out: bytearray, err: bytearray, max_out: int, max_err: int) -> bool:
    got = False
    while chan.recv_ready():
        out += chan.recv(65536)
        got = True
        if len(out) > max_out:
            raise OutputFlood(flood_message("stdout", max_out))
    while chan.recv_stderr_ready():
        err += chan.recv_stderr(65536)
        got = True
        if len(err) > max_err:
            raise OutputFlood(flood_message("stderr", max_err))
    return got


def _close(holder: dict[str, Any]) -> None:
    conn = holder.get("conn")
    if conn is not None:
        with contextlib.suppress(Exception):  # a half-open connection, from another thread
            conn.close()


def _cause(exc: BaseException) -> Cause | None:
    """paramiko's exceptions in the shared words of `ssh_common.classify`."""
    if isinstance(exc, (HostKeyRejected, paramiko.BadHostKeyException)):
        return "host_key"
    if isinstance(exc, paramiko.AuthenticationException):
        return "auth"
    if isinstance(exc, paramiko.PasswordRequiredException) or (
        isinstance(exc, paramiko.SSHException) and "private key" in str(exc)
    ):
        return "key_file"
    if isinstance(exc, paramiko.SSHException) and str(exc) == "No existing session":
        # SSHClient.connect stops waiting for the handshake after `timeout` without raising;
        # the host key lookup that follows then finds no session: the handshake timed out.
        return "timeout"
    if isinstance(exc, paramiko.SSHException) and not isinstance(
        exc, paramiko.ssh_exception.NoValidConnectionsError
    ):
        # "Error reading SSH protocol banner", "Indecipherable protocol version", ...: paramiko
        # says the same for "no banner" (EOF, timeout) and "not SSH"; the chained socket error
        # tells which, and classify reads it first.
        return "protocol"
    return None


def _classify(exc: BaseException, attempt: Attempt) -> tuple[ErrorKind, str]:
    if isinstance(exc, HostKeyRejected):
        attempt = replace(attempt, verdict=exc.verdict)
    return classify(exc, _cause(exc), attempt)
