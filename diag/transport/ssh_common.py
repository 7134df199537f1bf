"""What both SSH transports share: settings, the known_hosts book, output caps, error wording.

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
import fcntl
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from diag.artifacts import atomic_write
from diag.inventory import parse_entry
from diag.transport.base import Target

Verdict = Literal["ok", "changed", "unknown", "accepted"]
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


@dataclass(frozen=True)
class JumpSpec:
    user: str
    host: str
    port: int


def parse_jump(spec: str) -> JumpSpec:
    """`[user@]host[:port]` (the first hop of a ProxyJump list; more hops are refused)."""
    if "," in spec:
        from diag.inventory import InventoryError

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
            from diag.policy import PolicyError

            raise PolicyError(f"--known-hosts {path}: {exc.strerror or exc}") from None
        try:
            self._kh = asyncssh.import_known_hosts(text)
        except (ValueError, asyncssh.Error) as exc:
            from diag.policy import PolicyError

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


class OutputFlood(Exception):
    """The host sent more than the cap; the session was closed."""


def flood_message(stream: str, cap: int) -> str:
    return f"{stream} passed the {cap} byte cap; session closed (a flooding login script?)"
