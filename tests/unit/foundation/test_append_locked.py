"""diag.files.append_locked: the audit logs' one way to append (probes and CMDB pushes)."""

from __future__ import annotations

import fcntl
import os
import stat
import threading
from pathlib import Path

import pytest

from diag.files import append_locked


def test_creates_the_directory_and_a_0640_file(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "audit.jsonl"
    old = os.umask(0o022)
    try:
        append_locked(path, b'{"x":1}\n')
    finally:
        os.umask(old)
    assert path.read_bytes() == b'{"x":1}\n'
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_appends_never_rewrites(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    path.write_bytes(b"first\n")
    append_locked(path, b"second\n" * 3)
    append_locked(path, b"")
    assert path.read_bytes() == b"first\n" + b"second\n" * 3


def test_waits_for_another_writers_lock(tmp_path: Path) -> None:
    """A writer holding the flock (another diagctl appending) delays the append; it does not
    write through it."""
    path = tmp_path / "audit.jsonl"
    path.write_bytes(b"")
    fd = os.open(path, os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)
    done = threading.Event()

    def writer() -> None:
        append_locked(path, b"late\n")
        done.set()

    th = threading.Thread(target=writer)
    th.start()
    try:
        assert not done.wait(0.3)
        assert path.read_bytes() == b""
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    th.join(5)
    assert done.is_set() and path.read_bytes() == b"late\n"


def test_an_unwritable_place_raises(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(OSError):
        append_locked(tmp_path / "file" / "audit.jsonl", b"x\n")
