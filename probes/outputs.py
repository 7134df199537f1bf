"""Every output file of a probe round is checked before any endpoint or scheduler is touched.

A cordon whose audit record, state (ownership) or metrics cannot be written must not happen:
the check runs first and fails with one line naming the file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from diag.errors import OutputError


def check_writable(path: Path, option: str, create_parent: bool = False) -> None:
    """Raise OutputError unless `path` can be written: its directory exists (or is created when
    `create_parent`), a file can be created there (atomic writes rename into it), and `path`
    itself is not a directory and, when it exists, opens for writing. Writes nothing lasting."""
    parent = path.parent
    if create_parent and not parent.exists():
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{path}: {option}: cannot create {parent}: {exc.strerror}") from exc
    if not parent.exists():
        raise OutputError(f"{path}: {option}: directory {parent} does not exist")
    if not parent.is_dir():
        raise OutputError(f"{path}: {option}: {parent} is not a directory")
    if path.is_dir():
        raise OutputError(f"{path}: {option}: is a directory")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".check", dir=parent)
        os.close(fd)
        os.unlink(tmp)
        if path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_APPEND))
    except OSError as exc:
        raise OutputError(f"{path}: {option}: not writable: {exc.strerror or exc}") from exc


def check_all(state: Path, audit: Path, prom: Path | None) -> None:
    """--state and --audit default under ~/.local/state/diagctl, created when missing;
    --prom (node_exporter's textfile directory) must exist."""
    check_writable(state, "--state", create_parent=True)
    check_writable(audit, "--audit", create_parent=True)
    if prom is not None:
        check_writable(prom, "--prom")


def write_failed(path: Path, option: str, exc: OSError) -> str:
    """The one line for an output that failed after the round ran (disk full, removed dir)."""
    return f"{path}: {option}: write failed: {exc.strerror or exc}"
