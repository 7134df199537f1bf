"""SIEM batches the receiver did not take, kept in the shared spool (exporters/spool.py).

    SPOOL/<seq:020d>-<events>.jsonl    one batch: one JSON string (a wire message) per line

Batches are drained oldest first. The spool holds at most `max_bytes`: putting a batch that
does not fit removes the oldest batches first, and the events so dropped are counted and
returned so the caller can report them. A batch larger than the whole spool is itself dropped
(counted). A spool that cannot be written raises exporters.spool.SpoolFull.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from exporters import spool as shared


def default_dir(fmt: str) -> Path:
    """$XDG_STATE_HOME/diagctl/spool/<format>, XDG_STATE_HOME defaulting to ~/.local/state."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "diagctl" / "spool" / fmt


class Spool:
    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root, self.max_bytes = root, max_bytes
        self.box = shared.Spool(root, max_bytes=max_bytes, suffix=".jsonl")

    def batches(self) -> list[Path]:
        """Spooled batch files, oldest first (other files in the directory are ignored)."""
        return self.box.entries()

    @staticmethod
    def count(path: Path) -> int:
        return shared.Spool.count(path)

    def remove(self, path: Path) -> None:
        self.box.remove(path)

    def read(self, path: Path) -> list[str]:
        """The batch's messages; a damaged line is dropped (it could never be sent)."""
        out: list[str] = []
        try:
            lines = path.read_bytes().splitlines()
        except OSError:
            return out
        for line in lines:
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            if isinstance(msg, str):
                out.append(msg)
        return out

    def put(self, messages: list[str]) -> int:
        """Spool one batch; returns how many events were dropped to keep the bound.
        SpoolFull when the spool cannot be written (the batch is counted as dropped)."""
        data = "".join(json.dumps(m) + "\n" for m in messages).encode()
        return self.box.put(data, len(messages))
