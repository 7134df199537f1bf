"""Envelopes for unit tests: every required field filled with a fixed value, the rest as asked."""

from __future__ import annotations

from typing import Any, TypeVar

from schemas.envelope import Envelope, HostRef, Status

E = TypeVar("E", bound=Envelope)


def envelope(cls: type[E] = Envelope, **fields: Any) -> E:  # type: ignore[assignment]
    """`cls` (an envelope model) with `fields` over fixed defaults: host `h`, status unknown."""
    defaults: dict[str, Any] = {
        "kind": "health.l1",
        "tool_version": "t",
        "host": HostRef(name="h"),
        "ok": False,
        "status": Status.UNKNOWN,
        "collected_at": "2026-01-01T00:00:00Z",
        "duration_ms": 1,
    }
    return cls(**{**defaults, **fields})
