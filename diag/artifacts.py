"""The `--out DIR` artifact tree, written atomically (temp file + fsync + rename).

DIR/<host>/envelope.json, DIR/<host>/raw/{payload.json | stdout.bin, stderr.bin}, DIR/run.json.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from pathlib import Path

_UNSAFE = re.compile(r"[^A-Za-z0-9._@:-]")


def host_dirname(name: str) -> str:
    """A directory name for a host: no path separators, no `..`, no hidden names."""
    safe = _UNSAFE.sub("_", name).strip(".") or "_"
    return safe[:200]


def atomic_write(path: Path, data: bytes) -> None:
    """Write all of `data` or nothing: readers never see a half-written file.

    Raises OSError (e.g. ENOSPC) with the destination left untouched.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_host(out: Path, host: str, envelope_json: str, raw: dict[str, bytes]) -> None:
    """Raw captures first, the envelope last: an envelope.json implies its raw/ is complete."""
    hdir = out / host_dirname(host)
    for name, data in raw.items():
        atomic_write(hdir / "raw" / name, data)
    atomic_write(hdir / "envelope.json", envelope_json.encode() + b"\n")
