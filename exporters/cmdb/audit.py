"""The CMDB push audit log: one JSON line per host pushed (or not), appended with O_APPEND
under an exclusive flock and fsynced, redacted (diag.redact). Nothing is rewritten."""

from __future__ import annotations

import fcntl
import getpass
import os
import socket
from pathlib import Path

from diag import redact
from schemas.cmdb import PushAudit


def who() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return f"{user}@{socket.gethostname()} pid {os.getpid()}"


def append(path: Path, records: list[PushAudit], secrets: tuple[str, ...]) -> None:
    """Append the records. Raises OSError (disk full, permissions)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = b"".join(
        PushAudit.model_validate(redact.obj(r.model_dump(mode="json"), secrets))
        .model_dump_json()
        .encode()
        + b"\n"
        for r in records
    )
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        written = 0
        while written < len(data):
            written += os.write(fd, data[written:])
        os.fsync(fd)
    finally:
        os.close(fd)
