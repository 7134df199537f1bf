"""`--become`: the remote command line and how a sudo refusal is told from a payload failure.

The real thing (sshd, non-root users, sudo with and without NOPASSWD) is in
tests/integration/fleet/test_fleet_become.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from diag.transport.base import CommandResult
from diag.transport.ssh_common import SUDO_PASSWORD, become_result, remote_command
from tests.support.components import require_root

DIAG = [sys.executable, "-m", "diag.cli"]
SUDO = 'if [ "$(id -u)" = 0 ]; then set --; else set -- env LC_ALL=C sudo -n --; fi; '


@pytest.mark.parametrize(
    ("deadline", "become", "line"),
    [
        (False, False, "sh -s"),
        (
            True,
            False,
            "if command -v timeout >/dev/null 2>&1; then exec timeout -s KILL 11 sh -s; "
            "else exec sh -s; fi",
        ),
        (False, True, SUDO + 'exec "$@" sh -s'),
        (
            True,
            True,
            SUDO + "if command -v timeout >/dev/null 2>&1; "
            'then exec "$@" timeout -s KILL 11 sh -s; else exec "$@" sh -s; fi',
        ),
    ],
)
def test_remote_command_lines(deadline: bool, become: bool, line: str) -> None:
    assert remote_command(("sh", "-s"), 9.2, deadline, become) == line


def test_root_login_runs_the_command_without_sudo(tmp_path: Path) -> None:
    require_root("the root branch of remote_command needs a root login")
    fake = tmp_path / "sudo"
    fake.write_text("#!/bin/sh\necho 'sudo must not run for root' >&2\nexit 99\n")
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"}
    line = remote_command(("sh", "-s"), 5, True, True)
    res = subprocess.run(
        ["sh", "-c", line], input="id -u\n", capture_output=True, text=True, env=env, timeout=30
    )
    assert (res.returncode, res.stdout, res.stderr) == (0, "0\n", "")


PW = b"sudo: a password is required\n"
NO_DNS = b"sudo: unable to resolve host gpu-1: Name or service not known\n"


@pytest.mark.parametrize(
    ("rc", "stdout", "stderr", "message"),
    [
        (1, b"", PW, SUDO_PASSWORD),
        (1, b"", NO_DNS + PW, SUDO_PASSWORD),
        (127, b"", b"sh: 1: sudo: not found\n", "sudo is not installed on this host (--become)"),
        (
            1,
            b"",
            b"Sorry, user ops is not allowed to execute '/usr/bin/sh -s' as root on gpu-1.\n",
            "sudo -n refused: Sorry, user ops is not allowed to execute '/usr/bin/sh -s' as "
            "root on gpu-1.",
        ),
        (1, b"", b"sudo: account validation failure, is your account locked?\n",
         "sudo -n refused: sudo: account validation failure, is your account locked?"),
        # Not sudo's refusal: the payload ran (or failed on its own); left as it is.
        (0, b'{"payload_version": 1}\n', b"sudo: unable to resolve host gpu-1\n", None),
        (1, b'{"payload_version": 1}\n', PW, None),
        (1, b"", b"Traceback (most recent call last):\n", None),
        (2, b"", PW, None),
        (0, b"", b"", None),
    ],
)  # fmt: skip
def test_become_result_boundaries(
    rc: int, stdout: bytes, stderr: bytes, message: str | None
) -> None:
    res = CommandResult(rc, stdout, stderr, 12)
    got = become_result(res)
    if message is None:
        assert got is res
        return
    assert (got.exit_code, got.error, got.message, got.duration_ms) == (
        None,
        "become_failed",
        message,
        12,
    )


def test_transport_errors_pass_through() -> None:
    res = CommandResult(None, error="auth", message="authentication refused")
    assert become_result(res) is res


def test_become_without_ssh_hosts_is_exit_2() -> None:
    res = subprocess.run(
        [*DIAG, "health", "--local", "--become"], capture_output=True, text=True, timeout=60
    )
    assert (res.returncode, res.stdout) == (2, "")
    assert res.stderr == (
        "Error: --become needs -H or -i: it runs the payload through sudo on SSH hosts\n"
    )
