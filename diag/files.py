"""Files: atomic writes (temp file + fsync + rename, stale temps cleaned) and the YAML files
users hand us (policy, XID table, inventory, probe targets), read strictly.

PyYAML's safe loader keeps the *last* of two equal keys in a mapping (`port: 22` then
`port: 2222` in the same host is silently 2222); we reject the document instead. libyaml
(`CSafeLoader`) stays the parser when PyYAML has it: it is about 10x faster on our files.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import secrets
import time
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode

from diag.errors import FileError

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
STALE_TMP_S = 600.0  # a temp file this old is left over, whoever wrote it: no write takes 10 min
_TMP = re.compile(r"^\..*\.diagctl-(\d+)-[0-9a-f]{8}\.tmp$")


YamlFileError = FileError  # the name the YAML readers raise


class UniqueKeyLoader(_Base):  # type: ignore[misc]
    """The safe loader, refusing a mapping that names one key twice."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<:` merge keys may repeat by design
            key = self.construct_object(key_node, deep=True)
            try:
                fresh = key not in seen
            except TypeError:
                continue  # an unhashable key; the base constructor reports it
            if not fresh:
                raise ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key {key!r}",
                    key_node.start_mark,
                )
            seen.add(key)
        return dict(super().construct_mapping(node, deep=deep))


def load_yaml(text: str) -> Any:
    """yaml.safe_load through libyaml, duplicate keys rejected (a `yaml.YAMLError`)."""
    return yaml.load(text, Loader=UniqueKeyLoader)  # a SafeLoader subclass


def yaml_problem(exc: yaml.YAMLError) -> str:
    """One line: what is wrong and where (`found duplicate key 'port' (line 4, column 5)`)."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
    return f"{problem}{where}"


def read_text(path: Path, what: str = "file") -> str:
    """The file as text; unreadable, binary (NUL) or non-UTF-8 is a `YamlFileError`."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise YamlFileError(f"{what} {path}: cannot read: {exc.strerror or exc}") from None
    if b"\0" in data:
        raise YamlFileError(f"{what} {path}: binary file (NUL byte at offset {data.index(0)})")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlFileError(f"{what} {path}: not UTF-8 text (byte offset {exc.start})") from None


def load_yaml_file(path: Path, what: str = "file") -> Any:
    """Read and parse one YAML file; every failure is a one-line `YamlFileError` naming it."""
    text = read_text(path, what)
    try:
        return load_yaml(text)
    except yaml.YAMLError as exc:
        raise YamlFileError(f"{what} {path}: not valid YAML: {yaml_problem(exc)}") from None


def is_our_tmp(name: str) -> bool:
    """A temp file name our atomic writes use (`.<file>.diagctl-<pid>-<hex8>.tmp`)."""
    return _TMP.match(name) is not None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale_tmp(directory: Path) -> list[str]:
    """Remove temp files our atomic writes left behind (a kill -9 mid-write); return their names.

    Only names of the form `.<file>.diagctl-<pid>-<hex8>.tmp`, and only when that pid is gone
    or the file is older than STALE_TMP_S: a live writer's temp is never touched.
    """
    removed: list[str] = []
    now = time.time()
    with contextlib.suppress(OSError), os.scandir(directory) as it:
        for entry in it:
            m = _TMP.match(entry.name)
            if not m or not entry.is_file(follow_symlinks=False):
                continue
            with contextlib.suppress(OSError):
                pid = int(m.group(1))
                mine = pid == os.getpid()  # this process writes one file at a time per name
                if (not mine and not _pid_alive(pid)) or now - entry.stat().st_mtime > STALE_TMP_S:
                    os.unlink(entry.path)
                    removed.append(entry.name)
    return removed


def append_locked(path: Path, data: bytes) -> None:
    """Append all of `data` to the log at `path` (created 0640 with its directory) under an
    exclusive flock, so that concurrent writers' records never interleave, then fsync.
    Raises OSError (disk full, permissions)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        written = 0
        while written < len(data):
            written += os.write(fd, data[written:])
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes) -> None:
    """Write all of `data` or nothing: readers never see a half-written file.

    The temp file is `.<name>.diagctl-<pid>-<hex8>.tmp` next to `path`; after a successful
    write, stale temps of dead writers in that directory are removed. Raises OSError (e.g.
    ENOSPC) with the destination left untouched.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.diagctl-{os.getpid()}-{secrets.token_hex(4)}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    clean_stale_tmp(path.parent)
