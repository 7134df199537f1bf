"""The `--out DIR` artifact tree, written atomically (temp file + fsync + rename).

    DIR/run.json                                  the run summary (no host name can take it)
    DIR/hosts/<enc>/envelope.json                 one directory per host
    DIR/hosts/<enc>/raw/{payload.json | stdout.bin, stderr.bin}

`<enc>` is the host name percent-encoded (see `host_dirname`): collision-free and reversible.
Directories written before this layout (DIR/<host>/...) are still read by `recorded_hosts`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
from pathlib import Path
from urllib.parse import unquote_to_bytes

from diag.errors import OutDirError
from diag.files import atomic_write, clean_stale_tmp, is_our_tmp

HOSTS = "hosts"
RUN_JSON = "run.json"
NAME_MAX = 200  # bytes of one encoded directory name; filesystems allow 255
FREE_MIN_BYTES = 16 << 10  # an --out with less free space than this is full: refused up front
_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")


def host_dirname(name: str) -> str:
    """The directory name of a host: every byte outside [A-Za-z0-9._-] as %XX, a leading '.' too.

    So `a/b` -> `a%2Fb`, `a b` -> `a%20b`, `..` -> `%2E.`, `` -> `%`. Distinct names give distinct
    directories; `host_name_of` reverses it. A name whose encoding passes NAME_MAX bytes keeps a
    prefix plus `~` and a hash of the whole name (`~` never appears otherwise); its exact name
    is in its envelope.
    """
    raw = name.encode("utf-8", "surrogatepass")
    enc = "".join(chr(b) if b in _SAFE else f"%{b:02X}" for b in raw)
    if enc.startswith("."):
        enc = "%2E" + enc[1:]
    if not enc:
        return "%"
    if len(enc) <= NAME_MAX:
        return enc
    head = enc[: NAME_MAX - 34]
    head = head[: head.rfind("%")] if "%" in head[-2:] else head  # never split a %XX
    return f"{head}~{hashlib.sha256(raw).hexdigest()[:32]}"


def host_name_of(dirname: str) -> str | None:
    """The host name a `host_dirname` stands for; None for a hashed (too long) or foreign name."""
    if dirname == "%":
        return ""
    if "~" in dirname or not dirname:
        return None
    try:
        text = unquote_to_bytes(dirname).decode("utf-8", "surrogatepass")
    except UnicodeError:
        return None
    return text if host_dirname(text) == dirname else None


def host_dir(out: Path, name: str) -> Path:
    return out / HOSTS / host_dirname(name)


def recorded_hosts(root: Path) -> dict[str, Path]:
    """Host name -> its directory, for a `--out` tree of either layout (sorted by name).

    The name is the envelope's `host.name` where one was written, else the decoded directory
    name; a bare fixture tree (DIR/<host>/raw/ only, the old layout) is read as well.
    """
    base = root / HOSTS
    new = base.is_dir() and not (base / "envelope.json").exists() and not (base / "raw").is_dir()
    dirs = (
        sorted(p for p in (base if new else root).iterdir() if p.is_dir()) if root.is_dir() else []
    )
    found: dict[str, Path] = {}
    for d in dirs:
        if not ((d / "envelope.json").is_file() or (d / "raw").is_dir()):
            continue
        name = _envelope_name(d / "envelope.json")
        if name is None:
            name = host_name_of(d.name) if new else d.name
        found.setdefault(d.name if name is None else name, d)
    return dict(sorted(found.items()))


def _envelope_name(path: Path) -> str | None:
    try:
        name = json.loads(path.read_text(encoding="utf-8", errors="replace"))["host"]["name"]
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return None
    return name if isinstance(name, str) else None


def check_out_dir(out: Path) -> None:
    """Refuse an unusable `--out` before any host is contacted: one line naming the path.

    Creates DIR when missing, proves a file can be written there and that at
    least FREE_MIN_BYTES are free (disk full), and removes the probe file again.
    """
    where = f"--out {out}"
    try:
        if out.exists() and not out.is_dir():
            raise OutDirError(f"{where}: exists and is not a directory")
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".write-check.diagctl-{os.getpid()}-{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(b"diagctl write check\n")
                os.fsync(fh.fileno())
        finally:
            with contextlib.suppress(OSError):
                os.unlink(probe)
        free = shutil.disk_usage(out).free
    except OSError as exc:
        raise OutDirError(f"{where}: not writable: {exc.strerror or exc}") from None
    if free < FREE_MIN_BYTES:
        raise OutDirError(f"{where}: only {free} bytes free (No space left on device)")
    clean_stale_tmp(out)


def check_replay_out(replay: Path, out: Path) -> None:
    """Replay never writes into the run it reads: `--out` may not be `--replay`, lie under it
    (a subdirectory, or a symlink to either), nor hold it (`--overwrite` would remove it)."""
    src, dst = replay.resolve(), out.resolve()
    if dst == src or dst.is_relative_to(src) or src.is_relative_to(dst):
        raise OutDirError(
            f"--out {out}: overlaps --replay {replay}; a replay never writes into the run it "
            "reads: choose another --out"
        )


def _is_run_entry(entry: os.DirEntry[str]) -> bool:
    """What a diagctl `--out` holds: run.json, hosts/, a temp of ours, an old-layout host dir."""
    if entry.is_symlink():
        return False
    if entry.name == RUN_JSON or is_our_tmp(entry.name):
        return entry.is_file()
    if not entry.is_dir():
        return False
    if entry.name == HOSTS:
        return True
    names = set(os.listdir(entry.path))
    return bool(names) and names <= {"envelope.json", "raw"} | {n for n in names if is_our_tmp(n)}


def prepare_out(out: Path, overwrite: bool = False, reads: Path | None = None) -> None:
    """An `--out DIR` never mixes two runs: it must be missing or empty (and apart from the
    `--replay` directory `reads`, see `check_replay_out`).

    A DIR holding a previous run (run.json, hosts/) is refused, or with `overwrite` that run is
    removed first. A DIR holding anything diagctl did not write is refused even with
    `overwrite`: diagctl never deletes what is not its own.
    """
    if reads is not None:
        check_replay_out(reads, out)
    if not out.is_dir():
        return
    try:
        with os.scandir(out) as it:
            entries = sorted(it, key=lambda e: e.name)
        theirs = [e.name for e in entries if not _is_run_entry(e)]
    except OSError as exc:
        raise OutDirError(f"--out {out}: not readable: {exc.strerror or exc}") from None
    if theirs:
        raise OutDirError(
            f"--out {out}: not empty and not a diagctl run (holds {theirs[0]!r}); "
            "choose a new or empty directory"
        )
    if not entries:
        return
    if not overwrite:
        shown = ", ".join(e.name + ("/" if e.is_dir() else "") for e in entries[:3])
        raise OutDirError(
            f"--out {out}: holds a previous run ({shown}); pass --overwrite to replace it, "
            "or choose a new directory"
        )
    try:
        for e in entries:
            if e.is_dir():
                shutil.rmtree(e.path)
            else:
                os.unlink(e.path)
    except OSError as exc:
        why = exc.strerror or exc
        raise OutDirError(f"--out {out}: cannot remove the previous run: {why}") from None


def write_host(out: Path, host: str, envelope_json: str, raw: dict[str, bytes]) -> None:
    """Raw captures first, the envelope last: an envelope.json implies its raw/ is complete."""
    hdir = host_dir(out, host)
    for name, data in raw.items():
        atomic_write(hdir / "raw" / name, data)
    atomic_write(hdir / "envelope.json", envelope_json.encode() + b"\n")


def write_summary(out: Path, summary_json: bytes) -> None:
    atomic_write(out / RUN_JSON, summary_json)
