"""One classification for both SSH transports: the same event on the wire, as each library
raises it, gives the same (error kind, message). The exceptions are shaped like the real ones
(asyncssh 2.x, paramiko 3.x); tests/integration/fleet/test_fleet_transport_failures.py
produces them from real listeners and sshd."""

from __future__ import annotations

import asyncio
import errno
import socket
from collections.abc import Callable

import asyncssh
import paramiko
import pytest

from diag.transport import asyncssh_transport as ats
from diag.transport import fabric_transport as fts
from diag.transport.ssh_common import Attempt, Verdict, classify, remote_command, retryable

AT = "10.0.0.7:2222"


def _chained(outer: BaseException, inner: BaseException) -> BaseException:
    """paramiko raises its banner error inside `except`, so the socket error is the context."""
    try:
        raise inner
    except BaseException:
        try:
            raise outer
        except BaseException as exc:
            return exc


def _refused() -> OSError:
    return ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed ('10.0.0.7', 2222)")


def _no_route() -> OSError:
    return OSError(errno.EHOSTUNREACH, "No route to host")


def _nvc(inner: OSError) -> BaseException:
    return paramiko.ssh_exception.NoValidConnectionsError({("10.0.0.7", 2222): inner})


def _banner(inner: BaseException) -> BaseException:
    return _chained(paramiko.SSHException("Error reading SSH protocol banner"), inner)


Make = Callable[[], BaseException]
CASES: list[tuple[str, Make, Make, Verdict | None, bool, str, str]] = [
    # (event, asyncssh raises, paramiko raises, host key verdict, connected, kind, message)
    ("refused", _refused, lambda: _nvc(_refused()), None, False,
     "unreachable", f"connection refused by {AT}"),
    ("no route", _no_route, lambda: _nvc(_no_route()), None, False,
     "unreachable", f"no route to {AT}"),
    ("dns", lambda: socket.gaierror(-2, "Name or service not known"),
     lambda: socket.gaierror(-2, "Name or service not known"), None, False,
     "unreachable", "name does not resolve: 10.0.0.7"),
    ("tcp connect timeout", lambda: asyncio.TimeoutError(), lambda: TimeoutError("timed out"),
     None, False, "timeout", "connect timeout after 3 s"),
    ("silent listener", lambda: asyncio.TimeoutError(), lambda: _banner(TimeoutError()),
     None, False, "timeout", "connect timeout after 3 s"),
    ("silent listener, handshake wait over first", lambda: asyncio.TimeoutError(),
     lambda: paramiko.SSHException("No existing session"), None, False,
     "timeout", "connect timeout after 3 s"),
    ("closes at once", lambda: asyncssh.ConnectionLost("Connection lost"),
     lambda: _banner(EOFError()), None, False,
     "unreachable", f"connection closed by {AT} before the SSH handshake finished"),
    ("reset during handshake", lambda: ConnectionResetError(errno.ECONNRESET, "reset"),
     lambda: _banner(ConnectionResetError(errno.ECONNRESET, "reset")), None, False,
     "unreachable", f"connection closed by {AT} before the SSH handshake finished"),
    ("not ssh", lambda: asyncssh.ProtocolError("Invalid SSH version"),
     lambda: paramiko.SSHException("Indecipherable protocol version \"HTTP/1.0\""), None, False,
     "unreachable", f"no SSH server at {AT} (it answered, but not in SSH)"),
    ("wrong key", lambda: asyncssh.PermissionDenied("Permission denied for user root"),
     lambda: paramiko.AuthenticationException("Authentication failed."), None, False,
     "auth", f"authentication refused by {AT} (no offered key was accepted)"),
    ("host key changed", lambda: asyncssh.HostKeyNotVerifiable("Host key is not trusted"),
     lambda: fts.HostKeyRejected("changed"), "changed", False,
     "host_key_changed", f"HOST KEY DIFFERS from known_hosts for {AT} (not accepted)"),
    ("host key unknown", lambda: asyncssh.HostKeyNotVerifiable("Host key is not trusted"),
     lambda: fts.HostKeyRejected("unknown"), "unknown", False,
     "host_key_unknown", f"host key of {AT} not in known_hosts"),
    ("session dropped", lambda: asyncssh.ConnectionLost("Connection lost"), lambda: EOFError(),
     None, True, "transport", f"session closed by {AT} before the command finished"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("event", "a_exc", "p_exc", "verdict", "connected", "kind", "message"),
    CASES,
    ids=[c[0] for c in CASES],
)
def test_both_transports_classify_alike(
    event: str, a_exc: Make, p_exc: Make, verdict: Verdict | None, connected: bool,
    kind: str, message: str,
) -> None:  # fmt: skip
    a = a_exc()
    a_got = classify(a, ats._cause(a), Attempt(AT, 3.0, connected, verdict))
    p_got = fts._classify(p_exc(), Attempt(AT, 3.0, connected))
    assert a_got == p_got == (kind, message)


def test_an_unknown_failure_is_transport_with_one_capped_line() -> None:
    exc = RuntimeError("line one\nline two " + "x" * 300)
    kind, msg = classify(exc, None, Attempt(AT, 3.0))
    assert kind == "transport"
    assert "\n" not in msg and len(msg) == 200
    assert msg.startswith("RuntimeError: line one line two xxx") and msg.endswith("…")


@pytest.mark.parametrize(
    ("exc", "cause", "again"),
    [
        (_refused(), None, True),
        (_nvc(_refused()), None, True),
        (ConnectionResetError(errno.ECONNRESET, "reset"), None, True),
        (asyncssh.ConnectionLost("Connection lost"), "closed", True),
        (_banner(EOFError()), "protocol", True),  # paramiko: closed before the banner
        (_banner(TimeoutError()), "protocol", False),  # a silent listener: once is enough
        (_no_route(), None, False),
        (socket.gaierror(-2, "x"), None, False),
        (paramiko.AuthenticationException("x"), "auth", False),
        (fts.HostKeyRejected("changed"), "host_key", False),
        (_refused(), "auth", False),  # the library's reading wins
    ],
)
def test_retryable(exc: BaseException, cause: str | None, again: bool) -> None:
    assert retryable(exc, cause) is again  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("timeout_s", "host_deadline", "line"),
    [
        (3.0, True, "if command -v timeout >/dev/null 2>&1; then exec timeout -s KILL 4 "
                    "sh -c 'echo \"$0\"' 'a b'; else exec sh -c 'echo \"$0\"' 'a b'; fi"),
        (3.01, True, "if command -v timeout >/dev/null 2>&1; then exec timeout -s KILL 5 "
                     "sh -c 'echo \"$0\"' 'a b'; else exec sh -c 'echo \"$0\"' 'a b'; fi"),
        (30.0, False, "sh -c 'echo \"$0\"' 'a b'"),  # exactly what a command= key expects
    ],
)  # fmt: skip
def test_remote_command_runs_under_the_hosts_own_deadline(
    timeout_s: float, host_deadline: bool, line: str
) -> None:
    assert remote_command(["sh", "-c", 'echo "$0"', "a b"], timeout_s, host_deadline) == line
