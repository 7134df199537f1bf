"""The append-only audit log: one JSON line per action (cordon, uncordon, restart, breaker).

Lines are appended with O_APPEND under an exclusive flock and fsynced, so concurrent writers
never interleave and a record that was reported written survives a crash. Nothing is rewritten.
"""

from __future__ import annotations

import getpass
import os
import socket
from pathlib import Path

from diag import redact
from diag.files import append_locked
from schemas.probe import AuditRecord


def who() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    sudo = os.environ.get("SUDO_USER", "")
    via = f" (sudo by {sudo})" if sudo and sudo != user else ""
    return f"{user}@{socket.gethostname()} pid {os.getpid()}{via}"


def append(path: Path, record: AuditRecord) -> None:
    """Append one record, redacted (diag.redact). Raises OSError (disk full, permissions)."""
    clean = AuditRecord.model_validate(redact.obj(record.model_dump(mode="json")))
    append_locked(path, clean.model_dump_json().encode() + b"\n")


def read(path: Path) -> list[AuditRecord]:
    """Every record in the log (for tests and `diagctl` readers)."""
    if not path.exists():
        return []
    return [
        AuditRecord.model_validate_json(line)
        for line in path.read_bytes().splitlines()
        if line.strip()
    ]
