"""A bounded on-disk spool of Pushgateway pushes that could not be delivered.

Each push that meets a receiver that is down (connection refused, timeout, HTTP 5xx, 408,
429) is kept as one file, `<ns-time>-<seq>.push`: a JSON header line (job, instance, when)
then the exposition text. Every later push first drains the spool, oldest first, stopping at
the first push that fails again, so the Pushgateway sees the states in the order they were
taken and the newest last (at least once: a push that timed out may have arrived, and a PUT
of the same group again only replaces it). At most `limit` pushes are kept: the oldest go
first, and each drop is added to `dropped_total` in the spool directory, which the next push
reports as `diagctl_push_spool_dropped_total`. A spool that cannot be written (disk full)
drops the new push the same way, counted, and says so.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import count
from pathlib import Path

from diag.files import atomic_write

DROPPED = "dropped_total"
_seq = count()


@dataclass(frozen=True)
class Spooled:
    path: Path
    job: str
    instance: str
    body: bytes


@dataclass
class Spool:
    directory: Path
    limit: int = 1000

    def items(self) -> list[Path]:
        """Pending pushes, oldest first (file names sort by time)."""
        try:
            return sorted(self.directory.glob("*.push"))
        except OSError:
            return []

    def dropped(self) -> int:
        try:
            return int((self.directory / DROPPED).read_text().strip() or 0)
        except (OSError, ValueError):
            return 0

    def _count_drop(self, n: int) -> None:
        with contextlib.suppress(OSError):
            atomic_write(self.directory / DROPPED, f"{self.dropped() + n}\n".encode())

    def put(self, job: str, instance: str, body: bytes) -> str:
        """Keep one push; "" when kept, else why it was dropped. Then trim to `limit`."""
        head = json.dumps({"job": job, "instance": instance, "at": time.time()}).encode()
        name = f"{time.time_ns():020d}-{os.getpid()}-{next(_seq):06d}.push"
        try:
            atomic_write(self.directory / name, head + b"\n" + body)
        except OSError as exc:
            self._count_drop(1)
            return f"spool {self.directory} not writable ({exc.strerror}): push dropped"
        extra = self.items()[: max(0, len(self.items()) - self.limit)]
        for path in extra:
            with contextlib.suppress(OSError):
                path.unlink()
        if extra:
            self._count_drop(len(extra))
        return ""

    @staticmethod
    def read(path: Path) -> Spooled | None:
        try:
            head, _, body = path.read_bytes().partition(b"\n")
            meta = json.loads(head)
            return Spooled(path, str(meta["job"]), str(meta["instance"]), body)
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def drain(self, send: Callable[[Spooled], str]) -> tuple[int, str]:
        """Send pending pushes oldest first; `send` returns "" (sent), "retry: why" (stop,
        keep it) or another reason (refused: drop it, counted). Returns (sent, why stopped)."""
        sent = 0
        for path in self.items():
            item = self.read(path)
            why = send(item) if item is not None else "unreadable spool file"
            if why.startswith("retry"):
                return sent, why
            with contextlib.suppress(OSError):
                path.unlink()
            if why:
                self._count_drop(1)
            else:
                sent += 1
        return sent, ""
