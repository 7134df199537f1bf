"""A bounded, ordered local spool of batches the receiver did not take.

    SPOOL/<seq:020d>-<events>.jsonl    one batch: one JSON string (a wire message) per line

Batches are drained oldest first (by sequence number). The spool holds at most `max_bytes`:
putting a batch that does not fit removes the oldest batches first, and the events so
dropped are counted and returned so the caller can report them. A batch larger than the whole
spool is itself dropped (counted). Files are written atomically (diag.files.atomic_write).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from diag.files import atomic_write

_NAME = re.compile(r"(\d{20})-(\d+)\.jsonl")


def default_dir(fmt: str) -> Path:
    """$XDG_STATE_HOME/diagctl/spool/<format>, XDG_STATE_HOME defaulting to ~/.local/state."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "diagctl" / "spool" / fmt


class Spool:
    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root, self.max_bytes = root, max_bytes

    def batches(self) -> list[Path]:
        """Spooled batch files, oldest first (other files in the directory are ignored)."""
        if not self.root.is_dir():
            return []
        return sorted(p for p in self.root.iterdir() if _NAME.fullmatch(p.name))

    @staticmethod
    def count(path: Path) -> int:
        m = _NAME.fullmatch(path.name)
        return int(m.group(2)) if m else 0

    def read(self, path: Path) -> list[str]:
        """The batch's messages; a damaged line is dropped (it could never be sent)."""
        out: list[str] = []
        for line in path.read_bytes().splitlines():
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            if isinstance(msg, str):
                out.append(msg)
        return out

    def remove(self, path: Path) -> None:
        path.unlink(missing_ok=True)

    def put(self, messages: list[str]) -> int:
        """Spool one batch; returns how many events were dropped to keep the bound."""
        data = "".join(json.dumps(m) + "\n" for m in messages).encode()
        if len(data) > self.max_bytes:
            return len(messages)
        existing = self.batches()
        used = sum(p.stat().st_size for p in existing)
        dropped = 0
        while existing and used + len(data) > self.max_bytes:
            oldest = existing.pop(0)
            used -= oldest.stat().st_size
            dropped += self.count(oldest)
            self.remove(oldest)
        last = existing[-1] if existing else None
        seq = int(last.name[:20]) + 1 if last else 1
        atomic_write(self.root / f"{seq:020d}-{len(messages)}.jsonl", data)
        return dropped
