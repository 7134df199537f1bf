"""The CMDB push audit log: one JSON line per host pushed (or not), appended with O_APPEND
under an exclusive flock and fsynced, redacted (diag.redact). Nothing is rewritten."""

from __future__ import annotations

import getpass
import os
import socket
from pathlib import Path

from diag import redact
from diag.files import append_locked
from schemas.cmdb import PushAudit


def who() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return f"{user}@{socket.gethostname()} pid {os.getpid()}"


def append(path: Path, records: list[PushAudit], secrets: tuple[str, ...]) -> None:
    """Append the records. Raises OSError (disk full, permissions)."""
    data = b"".join(
        PushAudit.model_validate(redact.obj(r.model_dump(mode="json"), secrets))
        .model_dump_json()
        .encode()
        + b"\n"
        for r in records
    )
    append_locked(path, data)
