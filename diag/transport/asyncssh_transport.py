"""SSH with asyncssh (the default): one event loop drives every connection of the run.

Measured cheapest per host on the jump host (docs/benchmarks.md, "Fleet fan-out:
bench/fanout.py").
One connection and one exec per host; the command is an argv joined with shlex.join, under the
host's own deadline (ssh_common.remote_command). Output is read with hard caps.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

import asyncssh

from diag.transport.base import CommandResult, ErrorKind, Target, elapsed_ms, failed
from diag.transport.ssh_common import (
    Attempt,
    Cause,
    JumpSpec,
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

KEX_ALGS = [
    "curve25519-sha256",
    "curve25519-sha256@libssh.org",
    "ecdh-sha2-nistp256",
    "diffie-hellman-group14-sha256",
]
CIPHERS = [
    "aes128-gcm@openssh.com",
    "aes256-gcm@openssh.com",
    "chacha20-poly1305@openssh.com",
    "aes128-ctr",
    "aes256-ctr",
]


class SetupFailed(Exception):
    """Connection setup failed with a known kind (a jump host, or a connect timeout)."""

    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind, self.message = kind, message


class _Client(asyncssh.SSHClient):
    """Host key check by diagctl's own book; remembers its verdict for the error envelope."""

    def __init__(self, book: KnownHostsBook, host: str, port: int) -> None:
        self.book, self.host, self.port = book, host, port
        self.verdict: Verdict | None = None

    def validate_host_public_key(self, host: str, addr: str, port: int, key: Any) -> bool:
        # host/port as connected (after --ssh-config's HostName/Port), like OpenSSH's lookup
        algo = key.algorithm.decode()
        name, num = host or self.host, port or self.port
        self.verdict = self.book.verdict(name, num, algo, key.public_data)
        return self.verdict in ("ok", "accepted")


class AsyncSSHTransport:
    name = "asyncssh"

    def __init__(self, settings: SSHSettings, book: KnownHostsBook | None = None) -> None:
        self.s = settings
        self.book = book or KnownHostsBook(settings.known_hosts, settings.accept_new)
        self._loaded: dict[str, Any] = {}
        self._jumps: dict[
            JumpSpec, asyncio.Future[tuple[asyncssh.SSHClientConnection, _Client]]
        ] = {}

    def _options(self, user: str, identity: str) -> dict[str, Any]:
        opts: dict[str, Any] = {
            "known_hosts": ([], [], []),  # every key goes to _Client.validate_host_public_key
            "config": [str(self.s.ssh_config)] if self.s.ssh_config else [],
            "connect_timeout": self.s.connect_timeout_s,
            "login_timeout": self.s.connect_timeout_s,
            "keepalive_interval": self.s.keepalive_s,
            "keepalive_count_max": 3,
            "password": None,
            "kbdint_auth": False,
            "gss_host": None,
            # Cheapest first, measured with bench/fanout.py (docs/benchmarks.md): AES-GCM runs
            # in one OpenSSL call per packet where asyncssh's chacha20-poly1305 builds several
            # cipher contexts; no compression (the payload is 17 KB; zlib costs CPU on both
            # ends).
            "kex_algs": KEX_ALGS,
            "encryption_algs": CIPHERS,
            "compression_algs": None,
        }
        if user:
            opts["username"] = user
        if identity:
            opts["client_keys"] = self._keys(identity)
        if not self.s.use_agent:
            opts["agent_path"] = None
        return opts

    def _keys(self, identity: str) -> Any:
        """Load each key file once per run, not once per host (saves a parse per connection).

        A key that cannot be loaded is left as a path: the connection then fails with a
        per-host `auth` envelope saying why.
        """
        if identity not in self._loaded:
            try:
                self._loaded[identity] = asyncssh.load_keypairs([identity])
            except (OSError, asyncssh.KeyImportError, asyncssh.KeyEncryptionError):
                self._loaded[identity] = [identity]
        return self._loaded[identity]

    async def _connect(
        self, host: str, port: int | None, user: str, identity: str, tunnel: Any = None
    ) -> tuple[asyncssh.SSHClientConnection, _Client]:
        client = _Client(self.book, host, port or 22)
        opts = self._options(user, identity)
        if tunnel is not None:
            opts["tunnel"] = tunnel
        try:
            where: int | tuple[()] = port or (() if self.s.ssh_config else 22)  # (): its Port
            conn, _ = await asyncssh.create_connection(lambda: client, host, where, **opts)
        except Exception as exc:
            exc.diag_client = client  # type: ignore[attr-defined]  # its host key verdict
            raise
        return conn, client

    async def _jump(self, spec: str) -> asyncssh.SSHClientConnection:
        j = parse_jump(spec)
        fut = self._jumps.get(j)
        if fut is None or (fut.done() and fut.exception() is not None):
            fut = asyncio.ensure_future(
                self._connect(j.host, j.port, j.user or self.s.user, self.s.identity)
            )
            self._jumps[j] = fut
        conn, _client = await asyncio.shield(fut)
        return conn

    async def run(
        self, host: Target, command: Sequence[str], stdin: bytes, timeout: float
    ) -> CommandResult:
        t0 = time.monotonic()
        state: dict[str, Any] = {}
        try:
            cmd = remote_command(command, timeout, self.s.host_deadline, self.s.become)
            res = await asyncio.wait_for(self._run(host, cmd, stdin, state, t0), timeout)
            return become_result(res) if self.s.become else res
        except (asyncio.TimeoutError, TimeoutError):
            where = "before the command finished" if state.get("connected") else "while connecting"
            return failed(t0, "timeout", f"no result within {timeout:g} s ({where})")
        except OutputFlood as exc:
            return failed(t0, "transport", str(exc))
        except SetupFailed as exc:
            return failed(t0, exc.kind, exc.message)
        except Exception as exc:
            client = getattr(exc, "diag_client", state.get("client"))
            kind, msg = self._classify(exc, client, host, bool(state.get("connected")))
            return failed(t0, kind, msg)

    def _classify(
        self, exc: BaseException, client: _Client | None, host: Target, connected: bool
    ) -> tuple[ErrorKind, str]:
        where = f"{host.address}:{explicit_port(host) or 22}"
        if client is not None:
            where = f"{client.host}:{client.port}"
        verdict = client.verdict if client is not None else None
        return classify(
            exc, _cause(exc), Attempt(where, self.s.connect_timeout_s, connected, verdict)
        )

    async def _run(
        self, host: Target, cmd: str, stdin: bytes, state: dict[str, Any], t0: float
    ) -> CommandResult:
        tunnel = None
        jump = host.jump or self.s.jump
        if jump:
            try:
                tunnel = await self._jump(jump)
            except Exception as exc:
                client = getattr(exc, "diag_client", None)
                kind, msg = self._classify(exc, client, Target(jump, address=jump), False)
                raise SetupFailed(kind, f"jump host {jump}: {msg}") from None
        user, ident = host.user or self.s.user, host.identity or self.s.identity
        attempt = 0
        while True:  # retries: connection setup only, bounded by connect_retries
            try:
                port = explicit_port(host)
                conn, client = await self._connect(host.address, port, user, ident, tunnel)
                break
            except (asyncio.TimeoutError, TimeoutError):
                limit = self.s.connect_timeout_s
                raise SetupFailed("timeout", f"connect timeout after {limit:g} s") from None
            except (OSError, asyncssh.ConnectionLost) as exc:
                if attempt >= self.s.connect_retries or not retryable(exc, _cause(exc)):
                    raise
                await asyncio.sleep(0.25 * 2**attempt)
                attempt += 1
        state.update(connected=True, client=client)
        try:
            return await self._exec(conn, cmd, stdin, t0)
        finally:
            conn.close()

    async def _exec(
        self, conn: asyncssh.SSHClientConnection, cmd: str, stdin: bytes, t0: float
    ) -> CommandResult:
        proc = await conn.create_process(cmd, encoding=None)
        try:
            try:
                proc.stdin.write(stdin)
                proc.stdin.write_eof()
            except (BrokenPipeError, asyncssh.DisconnectError):
                pass  # the command exited without reading all of stdin: its output still counts
            out, err = await asyncio.gather(
                _read_capped(proc.stdout, self.s.max_stdout_bytes, "stdout"),
                _read_capped(proc.stderr, self.s.max_stderr_bytes, "stderr"),
            )
            done = await proc.wait(check=False)
        finally:
            proc.close()
        return CommandResult(done.exit_status, out, err, elapsed_ms(t0))

    async def close(self) -> None:
        for fut in self._jumps.values():
            if fut.done() and fut.exception() is None:
                fut.result()[0].close()
        self._jumps.clear()


async def _read_capped(stream: Any, cap: int, name: str) -> bytes:
    buf = bytearray()
    while True:
        chunk = await stream.read(65536)
        if not chunk:
            return bytes(buf)
        buf += chunk
        if len(buf) > cap:
            raise OutputFlood(flood_message(name, cap))


def _cause(exc: BaseException) -> Cause | None:
    """asyncssh's exceptions in the shared words of `ssh_common.classify`."""
    if isinstance(exc, asyncssh.HostKeyNotVerifiable):
        return "host_key"
    if isinstance(exc, asyncssh.PermissionDenied):
        return "auth"
    if isinstance(exc, (asyncssh.KeyImportError, asyncssh.KeyEncryptionError)):
        return "key_file"
    if isinstance(exc, asyncssh.ConnectionLost):
        return "closed"
    if isinstance(exc, (asyncssh.ProtocolError, asyncssh.ProtocolNotSupported)):
        return "protocol"
    return None
