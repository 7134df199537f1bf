"""The sshd configuration every real-sshd test host and benchmark uses (one template).

Throwaway keys live in a temporary directory, hence `StrictModes no`; `UsePAM no` because the
test hosts have no PAM stack of their own. Callers start `/usr/sbin/sshd -D -e -f CONF`.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

SSHD = "/usr/sbin/sshd"

_TEMPLATE = """\
Port {port}
ListenAddress {addr}
HostKey {hostkey}
PidFile {pidfile}
AuthorizedKeysFile {authorized_keys}
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
UseDNS no
LogLevel ERROR
"""


def sshd_config(
    port: int, addr: str, hostkey: str, authorized_keys: str, pidfile: str = "none", extra: str = ""
) -> str:
    """Text of one sshd_config; `extra` lines are appended verbatim."""
    text = _TEMPLATE.format(
        port=port, addr=addr, hostkey=hostkey, pidfile=pidfile, authorized_keys=authorized_keys
    )
    return text + (extra.rstrip("\n") + "\n" if extra else "")


def keygen(path: Path) -> None:
    """A throwaway ed25519 key pair, `path` and `path.pub`, without a passphrase."""
    argv = ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)]
    subprocess.run(argv, check=True, timeout=30)
