"""What every envelope kind exports, and defensive readers for `data` fields."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime

from exporters.prometheus.metrics import SampleSet
from schemas.envelope import Envelope, Status

ENUM_VALUE = re.compile(r"[a-z0-9_]{1,40}")  # reset reasons and the like; anything else: other


def epoch(rfc3339: str) -> float | None:
    """Unix time of an RFC 3339 stamp (UTC when it has no offset); None when it is not one."""
    try:
        at = datetime.fromisoformat(rfc3339.replace("Z", "+00:00"))
    except ValueError:
        return None
    if at.tzinfo is None:
        return None
    return at.timestamp()


def enum_label(value: object) -> str:
    """A label from a value meant to be one of a few words; free text becomes `other`."""
    return value if isinstance(value, str) and ENUM_VALUE.fullmatch(value) else "other"


def number(value: object) -> float | None:
    """A finite int/float; None for anything else (bool, str, NaN, inf, missing)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if abs(value) < float("inf") else None


def common(env: Envelope, out: SampleSet) -> None:
    """Last-run time, duration, status (all seven, one of them 1), errors by code, truncation."""
    key = (env.kind, env.host.name)
    at = epoch(env.collected_at)
    if at is not None:
        out.add("diagctl_last_run_timestamp_seconds", key, at)
    out.add("diagctl_run_duration_seconds", key, env.duration_ms / 1000)
    for s in Status:
        out.add("diagctl_host_status", (*key, s.value), 1.0 if env.status is s else 0.0)
    for code, count in sorted(Counter(e.code.value for e in env.errors).items()):
        out.add("diagctl_envelope_errors", (*key, code), float(count))
    out.add("diagctl_envelope_truncated", key, 1.0 if env.truncated.any else 0.0)
