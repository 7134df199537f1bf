"""Pure parts of a maintenance run: waves, the window, and the pre/post diff. No I/O, no clock."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from typing import TypeVar

from diag.errors import UsageError
from schemas.envelope import Envelope
from schemas.lifecycle_maintain import FindingChange

T = TypeVar("T")
Window = tuple[datetime, datetime]


def waves(items: Sequence[T], max_in_flight: int) -> list[list[T]]:
    """`items` in order, at most `max_in_flight` per wave."""
    if max_in_flight < 1:
        raise UsageError(f"--max-in-flight {max_in_flight}: must be at least 1")
    return [list(items[i : i + max_in_flight]) for i in range(0, len(items), max_in_flight)]


def _when(text: str, which: str) -> datetime:
    try:
        at = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--window: {which} {text!r} is not an ISO 8601 time") from None
    if at.tzinfo is None:
        raise UsageError(f"--window: {which} {text!r} has no UTC offset (add Z or +HH:MM)")
    return at.astimezone(timezone.utc)


def parse_window(text: str) -> Window | None:
    """`START/END` (ISO 8601 with an offset) or "" for none."""
    if not text:
        return None
    start, sep, end = text.partition("/")
    if not sep:
        raise UsageError(f"--window {text!r}: expected START/END")
    a, b = _when(start, "start"), _when(end, "end")
    if b <= a:
        raise UsageError(f"--window {text!r}: end is not after start")
    return a, b


def window_problem(window: Window | None, now: datetime) -> str:
    """Why a wave may not start at `now` ("" when it may)."""
    if window is None:
        return ""
    if now < window[0]:
        return f"window opens at {window[0].isoformat()}"
    if now >= window[1]:
        return f"window closed at {window[1].isoformat()}"
    return ""


def diff(pre: Envelope, post: Envelope) -> list[FindingChange]:
    """Findings whose status changed between the pre-check and the post-check, by
    (check_id, entity), in check order."""
    before = {(f.check_id, f.entity): f.status.value for f in pre.findings}
    after = {(f.check_id, f.entity): f.status.value for f in post.findings}
    keys = sorted(before.keys() | after.keys())
    return [
        FindingChange(
            check_id=k[0],
            entity=k[1],
            before=before.get(k, "absent"),
            after=after.get(k, "absent"),
        )
        for k in keys
        if before.get(k, "absent") != after.get(k, "absent")
    ]
