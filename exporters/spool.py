"""One bounded, ordered on-disk spool for everything an exporter could not deliver: Pushgateway
pushes, SIEM batches and CMDB records all wait here until the receiver is back.

    DIR/<seq:020d>-<events><suffix>   one entry: a push, a batch of events, one host's record
    DIR/dropped_total                 events dropped to keep the bound, since the spool began
    (the directory itself is flock(2)ed while an entry is added: two cron jobs at once)

Entries are drained oldest first (by sequence number) and removed only after the receiver took
them, so delivery is at-least-once; each exporter makes a re-send harmless (event ids, PUT of a
whole group, CMDB upserts by serial). The bound is a byte budget and/or an entry count: adding
an entry that does not fit removes the oldest first, and an entry larger than the whole budget
is itself dropped; every drop is counted in `dropped_total` and returned to the caller. A spool
that cannot be written (disk full, read-only, not a directory) raises `SpoolFull`, with
nothing half-written (diag.files.atomic_write) and the new entry counted as dropped.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
from collections.abc import Iterator
from pathlib import Path

from diag.files import atomic_write

DROPPED = "dropped_total"
_NAME = re.compile(r"(\d{20})-(\d+)(\.[a-z]+)")


class SpoolFull(Exception):
    """The spool could not keep an entry; the message names the directory and why."""


class Spool:
    def __init__(
        self,
        root: Path,
        *,
        max_bytes: int | None = None,
        max_items: int | None = None,
        suffix: str = ".jsonl",
    ) -> None:
        self.root, self.max_bytes, self.max_items, self.suffix = root, max_bytes, max_items, suffix

    def entries(self) -> list[Path]:
        """Pending entries, oldest first; other files in the directory are ignored."""
        try:
            names = [p for p in self.root.iterdir() if self._ours(p.name)]
        except OSError:
            return []
        return sorted(names)

    def _ours(self, name: str) -> bool:
        m = _NAME.fullmatch(name)
        return m is not None and m.group(3) == self.suffix

    @staticmethod
    def count(path: Path) -> int:
        """Events held by one entry (from its name)."""
        m = _NAME.fullmatch(path.name)
        return int(m.group(2)) if m else 0

    def remove(self, path: Path) -> None:
        with contextlib.suppress(OSError):
            path.unlink()

    def dropped_total(self) -> int:
        try:
            return int((self.root / DROPPED).read_text().strip() or 0)
        except (OSError, ValueError):
            return 0

    def count_dropped(self, events: int) -> None:
        """Add to `dropped_total`; a spool that cannot even hold that keeps the old count."""
        if events:
            with contextlib.suppress(OSError):
                atomic_write(self.root / DROPPED, f"{self.dropped_total() + events}\n".encode())

    def put(self, data: bytes, events: int = 1) -> int:
        """Keep one entry behind the others; returns the events dropped to keep the bound
        (this entry's own when it is larger than the whole budget). SpoolFull when unwritable."""
        if self.max_bytes is not None and len(data) > self.max_bytes:
            self.count_dropped(events)
            return events
        try:
            with self._locked():
                dropped = self._trim(len(data))
                last = self.entries()[-1:] or None
                seq = int(last[0].name[:20]) + 1 if last else 1
                atomic_write(self.root / f"{seq:020d}-{events}{self.suffix}", data)
        except OSError as exc:
            self.count_dropped(events)
            why = exc.strerror or str(exc)
            raise SpoolFull(f"spool {self.root} not writable ({why})") from exc
        self.count_dropped(dropped)
        return dropped

    def _trim(self, incoming: int) -> int:
        """Remove the oldest entries until one more of `incoming` bytes fits; events removed."""
        existing = self.entries()
        sizes = {p: _size(p) for p in existing}
        used, dropped = sum(sizes.values()), 0
        while existing and (
            (self.max_bytes is not None and used + incoming > self.max_bytes)
            or (self.max_items is not None and len(existing) + 1 > self.max_items)
        ):
            oldest = existing.pop(0)
            used -= sizes[oldest]
            dropped += self.count(oldest)
            self.remove(oldest)
        return dropped

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """flock(2) on the directory itself: no lock file to leave behind."""
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
