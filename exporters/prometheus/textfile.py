"""node_exporter's textfile collector output: `DIR/diagctl_<job>.prom`, written atomically.

node_exporter (`--collector.textfile.directory DIR`) reads every `*.prom` file of DIR at each
scrape. One file per source (the `--job` name: `health`, `probe`, ...) so two cron jobs never
overwrite each other's metrics. The temporary file is `.diagctl_<job>.prom.…tmp`, which the
collector ignores, and it is renamed over the old file: a scrape never sees half of it. No
sample carries a timestamp (the collector rejects files that have them).
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from diag.errors import OutputError, UsageError
from diag.files import atomic_write

JOB = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")


def check_job(job: str, option: str = "--job") -> str:
    if not JOB.fullmatch(job):
        raise UsageError(
            f"{option} {job[:70]!r}: use 1-64 characters A-Z a-z 0-9 _ . - "
            "(it names a file and a Pushgateway group)"
        )
    return job


def textfile_path(directory: Path, job: str) -> Path:
    return directory / f"diagctl_{check_job(job)}.prom"


def check_directory(directory: Path) -> None:
    """Raise OutputError unless a file can be created in `directory`; writes nothing lasting."""
    if not directory.is_dir():
        raise OutputError(f"{directory}: --textfile: not a directory (create it first)")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".diagctl-check.", suffix=".tmp", dir=directory)
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        raise OutputError(f"{directory}: --textfile: not writable: {exc.strerror}") from exc


def write(directory: Path, job: str, body: bytes) -> Path:
    path = textfile_path(directory, job)
    try:
        atomic_write(path, body)
    except OSError as exc:
        raise OutputError(f"{path}: --textfile: write failed: {exc.strerror}") from exc
    return path
