"""Pushgateway pushes that could not be delivered, kept in the shared spool (exporters/spool.py).

Each push that meets a receiver that is down (connection refused, timeout, HTTP 5xx, 408,
429) is one entry, `<seq>-1.push`: a JSON header line (job, instance, when) then the
exposition text. Every later push first drains the spool, oldest first, stopping at the first
push that fails again, so the Pushgateway sees the states in the order they were taken and the
newest last (at least once: a push that timed out may have arrived, and a PUT of the same group
again only replaces it). At most `limit` pushes are kept: the oldest go first, and each drop is
added to `dropped_total` in the spool directory, which the next push reports as
`diagctl_push_spool_dropped_total`. A spool that cannot be written (disk full) drops the new
push the same way, counted, and says so.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from exporters import spool as shared


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

    @property
    def box(self) -> shared.Spool:
        return shared.Spool(self.directory, max_items=self.limit, suffix=".push")

    def items(self) -> list[Path]:
        """Pending pushes, oldest first."""
        return self.box.entries()

    def dropped(self) -> int:
        return self.box.dropped_total()

    def put(self, job: str, instance: str, body: bytes) -> str:
        """Keep one push; "" when kept, else why it was dropped. Trims to `limit`."""
        head = json.dumps({"job": job, "instance": instance, "at": time.time()}).encode()
        try:
            self.box.put(head + b"\n" + body)
        except shared.SpoolFull as exc:
            return f"{exc}: push dropped"
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
        box, sent = self.box, 0
        for path in box.entries():
            item = self.read(path)
            why = send(item) if item is not None else "unreadable spool file"
            if why.startswith("retry"):
                return sent, why
            box.remove(path)
            if why:
                box.count_dropped(1)
            else:
                sent += 1
        return sent, ""
