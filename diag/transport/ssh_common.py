"""What both SSH transports share: settings, the known_hosts book, output caps, error wording.

Failures are classified here, once (`classify`), so asyncssh and paramiko give the same
`error` kind and the same one-line message for the same event on the wire. Each transport only
names which of its library's exceptions mean "auth refused", "host key rejected", "key file
unusable", "closed by the peer" or "not SSH" (`Cause`); sockets, timeouts and errno are judged
here. A silent listener (TCP accepted, no SSH banner) is a connect `timeout` for both; a port
that accepts and closes at once is `unreachable`, like a refused one.

Host keys are checked by diagctl itself (both transports call `KnownHostsBook.verdict`), so
asyncssh and paramiko give the same answer for the same known_hosts file:
- a key listed for the host: accepted;
- other keys listed for the host, or the key marked @revoked: `host_key_changed`, never accepted,
  whatever `--accept-new` says;
- no entry for the host: `host_key_unknown`, or with `--accept-new` the key is appended to
  known_hosts (atomically, under a lock file) and accepted.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import math
import os
import shlex
import socket
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from diag.errors import InventoryError, PolicyError
from diag.files import atomic_write
from diag.transport.base import CommandResult, ErrorKind, Target, parse_entry

Verdict = Literal["ok", "changed", "unknown", "accepted"]
# What a transport's own exception means, before sockets and timeouts are judged here.
Cause = Literal["auth", "host_key", "key_file", "closed", "protocol", "timeout"]
DEFAULT_MAX_STDOUT = 16 << 20
DEFAULT_MAX_STDERR = 1 << 20


@dataclass(frozen=True)
class SSHSettings:
    known_hosts: Path = Path.home() / ".ssh" / "known_hosts"
    accept_new: bool = False
    identity: str = ""
    user: str = ""
    jump: str = ""
    ssh_config: Path | None = None  # None: ~/.ssh/config is NOT read
    connect_timeout_s: float = 10.0
    connect_retries: int = 2
    use_agent: bool = True
    max_stdout_bytes: int = DEFAULT_MAX_STDOUT
    max_stderr_bytes: int = DEFAULT_MAX_STDERR
    keepalive_s: float = 15.0
    # Run the command under the host's own deadline (remote_command). Off where the exact
    # command line matters more, e.g. a key restricted by `command=` that checks
    # SSH_ORIGINAL_COMMAND.
    host_deadline: bool = True
    # Run the command through `sudo -n` when the SSH user is not root (--become).
    become: bool = False


@dataclass(frozen=True)
class JumpSpec:
    user: str
    host: str
    port: int


def parse_jump(spec: str) -> JumpSpec:
    """`[user@]host[:port]` (the first hop of a ProxyJump list; more hops are refused)."""
    if "," in spec:
        raise InventoryError(f"jump {spec!r}: only one jump host is supported")
    user, host, port = parse_entry(spec)
    return JumpSpec(user, host, port or 22)


def explicit_port(target: Target) -> int | None:
    """The port the user asked for, or None (then --ssh-config's `Port`, else 22, applies)."""
    asked = {"port", "ansible_port", "ansible_ssh_port"} & set(target.vars)
    return target.port if asked or target.port != 22 else None


def known_hosts_name(host: str, port: int) -> str:
    """How OpenSSH writes a host in known_hosts: bare on port 22, `[host]:port` otherwise."""
    return host if port == 22 else f"[{host}]:{port}"


class KnownHostsBook:
    """One known_hosts file, read once, shared by every connection of a run."""

    def __init__(self, path: Path, accept_new: bool) -> None:
        import asyncssh

        self.path = path
        self.accept_new = accept_new
        self._lock = threading.Lock()
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            text = ""
        except OSError as exc:
            raise PolicyError(f"--known-hosts {path}: {exc.strerror or exc}") from None
        try:
            self._kh = asyncssh.import_known_hosts(text)
        except (ValueError, asyncssh.Error) as exc:
            raise PolicyError(f"--known-hosts {path}: unreadable: {exc}") from None

    def verdict(self, host: str, port: int, algo: str, blob: bytes) -> Verdict:
        """Judge the server's public key blob (SSH wire format) for host:port."""
        with self._lock:
            keys, _ca, revoked, *_ = self._kh.match(host, "", port)
            if any(k.public_data == blob for k in revoked):
                return "changed"
            if any(k.public_data == blob for k in keys):
                return "ok"
            if keys:
                return "changed"
            if not self.accept_new:
                return "unknown"
            self._record(host, port, algo, blob)
            return "accepted"

    def _record(self, host: str, port: int, algo: str, blob: bytes) -> None:
        import base64

        line = f"{known_hosts_name(host, port)} {algo} {base64.b64encode(blob).decode()}\n"
        self._kh.load(line)
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with _file_lock(self.path.with_name(self.path.name + ".lock")):
            try:
                old = self.path.read_bytes()
            except FileNotFoundError:
                old = b""
            if old and not old.endswith(b"\n"):
                old += b"\n"
            atomic_write(self.path, old + line.encode())
            os.chmod(self.path, 0o600)


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


REMOTE_GRACE_S = 1  # the host's own deadline trails ours: our `timeout` envelope comes first


def remote_command(
    argv: Sequence[str], timeout_s: float, host_deadline: bool = True, become: bool = False
) -> str:
    """The line sshd hands to the login shell: argv quoted (never a raw shell string), under
    timeout(1) where the host has it (coreutils, busybox).

    Closing our end of the session does not stop the command: without a terminal, sshd sends
    it no SIGHUP, and the "signal" channel request is refused for root logins (sshd keeps no
    privilege-separated child for root). So the host enforces the deadline itself: timeout(1)
    puts the command in its own process group and SIGKILLs the whole group when the host's
    deadline passes, at most REMOTE_GRACE_S plus the connect time after ours.

    `become` puts `sudo -n` in front for a non-root login (root runs the command as it is).
    sudo comes first and timeout(1) runs under it: an unprivileged timeout could not kill the
    root payload. `-n` never prompts: where sudo wants a password it exits 1 at once with
    "sudo: a password is required" (LC_ALL=C keeps that wording), never a hang.
    """
    cmd = shlex.join(argv)
    limit = math.ceil(timeout_s) + REMOTE_GRACE_S
    if not become:
        if not host_deadline:
            return cmd
        return (
            f"if command -v timeout >/dev/null 2>&1; then exec timeout -s KILL {limit} {cmd}; "
            f"else exec {cmd}; fi"
        )
    sudo = 'if [ "$(id -u)" = 0 ]; then set --; else set -- env LC_ALL=C sudo -n --; fi; '
    if not host_deadline:
        return f'{sudo}exec "$@" {cmd}'
    return (
        f"{sudo}if command -v timeout >/dev/null 2>&1; "
        f'then exec "$@" timeout -s KILL {limit} {cmd}; else exec "$@" {cmd}; fi'
    )


SUDO_PASSWORD = "sudo needs a password on this host (sudo -n)"


def become_result(res: CommandResult) -> CommandResult:
    """A `--become` run that sudo refused, as a `become_failed` result; any other unchanged.

    sudo refusing prints `sudo: <why>` (or "Sorry, user u is not allowed to execute ...") on
    stderr, exits 1 and runs nothing (no stdout); a login without sudo gets the shell's
    "sudo: not found" and exit 127.
    """
    if res.error or res.exit_code not in (1, 127) or res.stdout.strip():
        return res
    lines = res.stderr.decode("utf-8", "replace").splitlines()
    said = next(
        (ln.strip() for ln in reversed(lines) if "sudo:" in ln or ln.startswith("Sorry, user")),
        "",
    )
    if not said:
        return res
    if res.exit_code == 127 or said.endswith("not found"):
        msg = "sudo is not installed on this host (--become)"
    elif "a password is required" in said:
        msg = SUDO_PASSWORD
    else:
        msg = f"sudo -n refused: {said[:MAX_DETAIL]}"
    return CommandResult(
        None, stderr=res.stderr, duration_ms=res.duration_ms, error="become_failed", message=msg
    )


class OutputFlood(Exception):
    """The host sent more than the cap; the session was closed."""


def flood_message(stream: str, cap: int) -> str:
    return f"{stream} passed the {cap} byte cap; session closed (a flooding login script?)"


@dataclass(frozen=True)
class Attempt:
    """What a classification needs to know about the attempt that failed."""

    where: str  # host:port as connected
    connect_timeout_s: float
    connected: bool = False  # the SSH session was up (authenticated) when it failed
    verdict: Verdict | None = None  # diagctl's host key verdict, when the key was seen


_REFUSED = {errno.ECONNREFUSED}
_NO_ROUTE = {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN, errno.ENETDOWN}
_CLOSED = {errno.ECONNRESET, errno.ECONNABORTED, errno.EPIPE}
MAX_DETAIL = 200


def chain(exc: BaseException) -> Iterator[BaseException]:
    """`exc`, what caused it, and each attempt of a multi-address connect (paramiko's
    NoValidConnectionsError keeps them in `.errors`), each once, at most 16."""
    todo: list[BaseException] = [exc]
    seen: set[int] = set()
    while todo and len(seen) < 16:
        cur = todo.pop(0)
        if id(cur) in seen:
            continue
        seen.add(id(cur))
        yield cur
        nested = getattr(cur, "errors", None)
        if isinstance(nested, dict):
            todo += [e for e in nested.values() if isinstance(e, BaseException)]
        todo += [e for e in (cur.__cause__, cur.__context__) if e is not None]


def detail(exc: BaseException) -> str:
    """`Type: text` on one line, cut to MAX_DETAIL characters."""
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 1] + "…"


def _is_timeout(exc: BaseException) -> bool:
    return isinstance(exc, (TimeoutError, socket.timeout)) or (
        isinstance(exc, OSError) and exc.errno == errno.ETIMEDOUT
    )


def classify(exc: BaseException, cause: Cause | None, attempt: Attempt) -> tuple[ErrorKind, str]:
    """An exception from connect/exec -> (error kind, one-line message), for both transports.

    `cause` is the transport's reading of its own library's exception (None: nothing specific).
    """
    at = attempt.where
    if attempt.verdict == "changed" or cause == "host_key":
        if attempt.verdict == "unknown":
            return "host_key_unknown", f"host key of {at} not in known_hosts"
        return "host_key_changed", f"HOST KEY DIFFERS from known_hosts for {at} (not accepted)"
    if cause == "auth":
        return "auth", f"authentication refused by {at} (no offered key was accepted)"
    if cause == "key_file":
        return "auth", f"cannot use the key: {detail(exc)}"
    causes = list(chain(exc))
    if any(isinstance(e, socket.gaierror) for e in causes):
        host = at.rsplit(":", 1)[0]
        return "unreachable", f"name does not resolve: {host}"
    errnos = {e.errno for e in causes if isinstance(e, OSError)}
    if errnos & _REFUSED:
        return "unreachable", f"connection refused by {at}"
    if errnos & _NO_ROUTE:
        return "unreachable", f"no route to {at}"
    closed = (
        cause == "closed"
        or bool(errnos & _CLOSED)
        or any(isinstance(e, (EOFError, ConnectionError)) for e in causes)
    )
    if attempt.connected:
        if closed:
            return "transport", f"session closed by {at} before the command finished"
        return "transport", detail(exc)
    if cause == "timeout" or any(_is_timeout(e) for e in causes):
        return "timeout", f"connect timeout after {attempt.connect_timeout_s:g} s"
    if closed:
        return "unreachable", f"connection closed by {at} before the SSH handshake finished"
    if cause == "protocol":
        return "unreachable", f"no SSH server at {at} (it answered, but not in SSH)"
    return "transport", detail(exc)


def retryable(exc: BaseException, cause: Cause | None) -> bool:
    """Connection setup worth one more try: refused, reset, or closed before the handshake."""
    if cause in ("auth", "host_key", "key_file"):
        return False
    causes = list(chain(exc))
    errnos = {e.errno for e in causes if isinstance(e, OSError)}
    return (
        cause == "closed"
        or bool(errnos & (_REFUSED | _CLOSED))
        or any(isinstance(e, (EOFError, ConnectionResetError)) for e in causes)
    )
