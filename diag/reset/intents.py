"""Reboot intents: the record diagctl leaves on a host before it reboots or powers it off, so
that `reset-reason` can later tell a planned reset from an unplanned one.

File: /var/lib/diagctl/reboot-intents.jsonl (diag.reset.sources.INTENTS_PATH), one
schemas.reset.RebootIntent JSON object per line, oldest first, at most KEEP lines. The
lifecycle tool writes it on the host (through its own audited action path) with the bytes
`intent_file` returns; `record_intent` does the same for a file on this machine.
"""

from __future__ import annotations

from pathlib import Path

from diag.files import atomic_write
from schemas.reset import RebootIntent

KEEP = 200  # records kept; the collector reads the last 16 KiB (~70 records)


def intent_file(existing: bytes, intent: RebootIntent) -> bytes:
    """The whole new file: the last KEEP-1 valid records already there, then `intent`.

    Lines that are not a valid record are dropped here, never carried forward."""
    kept = []
    for raw in existing.decode("utf-8", "replace").splitlines():
        try:
            kept.append(RebootIntent.model_validate_json(raw).model_dump_json())
        except ValueError:
            continue
    kept = [*kept[-(KEEP - 1) :], intent.model_dump_json()]
    return ("\n".join(kept) + "\n").encode()


def record_intent(path: Path, intent: RebootIntent) -> None:
    """Append `intent` to the intents file at `path`, atomically (readers see old or new)."""
    try:
        existing = path.read_bytes()
    except FileNotFoundError:
        existing = b""
    atomic_write(path, intent_file(existing, intent))
