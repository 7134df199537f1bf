"""What both `--local` fast paths share: the payload document read only when it has exactly
the shape pydantic would accept as is, records turned into JSON-ready data as pydantic would
serialise them, and the envelope's summary and status. Anything that might come out different
raises Unusual, and the caller judges through the model path instead.
"""

from __future__ import annotations

import json
import math
import time
from enum import Enum
from typing import Any

from diag.stamp import utc_now as utc_now  # the fast paths' stamp: diag.envelope's
from schemas.capture import Capture, CaptureFilter
from schemas.enums import Status
from schemas.record import is_record, names_of


class Unusual(Exception):
    """Something only the model path reproduces exactly: judge there instead."""


CAPTURE_KEYS = set(names_of(Capture))
FILTER_KEYS = set(names_of(CaptureFilter))
TYPES = {"source": str, "stdout": str, "stderr": str, "duration_ms": int, "truncated_bytes": int}


def _capture(raw: object) -> Capture:
    """A payload capture, only when it has exactly the shape the model would accept as is."""
    if not isinstance(raw, dict) or not set(raw) <= CAPTURE_KEYS or "source" not in raw:
        raise Unusual("capture shape")
    for key, want in TYPES.items():
        if key in raw and type(raw[key]) is not want:
            raise Unusual(f"capture {key}")
    filt = raw.get("filtered")
    if filt is not None:
        if not isinstance(filt, dict) or set(filt) != FILTER_KEYS:
            raise Unusual("capture filter")
        raw = {**raw, "filtered": CaptureFilter(**filt)}
    rc, err = raw.get("rc"), raw.get("error")
    if (rc is not None and type(rc) is not int) or err not in (
        None, "missing", "permission", "timeout", "exec_failed", "unsupported"
    ):  # fmt: skip
        raise Unusual("capture rc/error")
    return Capture(**raw)


def parse_payload(stdout: bytes) -> tuple[dict[str, Any], dict[str, Capture]]:
    lines = [ln for ln in stdout.splitlines() if ln.startswith(b"{")]
    if not lines:
        raise Unusual("no payload document")
    try:
        doc = json.loads(lines[-1].decode("utf-8", "replace"))
    except (ValueError, RecursionError) as exc:
        raise Unusual("payload JSON") from exc
    keys = {"payload_version", "mode", "duration_ms", "captures"}
    if (
        not isinstance(doc, dict)
        or not set(doc) <= keys
        or type(doc.get("payload_version")) is not int
    ):
        raise Unusual("payload shape")
    if (
        doc.get("mode", "python") not in ("python", "sh")
        or type(doc.get("duration_ms", 0)) is not int
    ):
        raise Unusual("payload mode")
    caps = doc.get("captures", {})
    if not isinstance(caps, dict):
        raise Unusual("captures")
    return doc, {str(k): _capture(v) for k, v in caps.items()}


def plain(node: Any) -> Any:
    """JSON-ready data as pydantic would serialise it; Unusual where the bytes could differ."""
    if isinstance(node, Enum):
        return node.value
    if node is None or isinstance(node, (bool, int, str)):
        return node
    if isinstance(node, float):
        if not math.isfinite(node) or (node != 0 and not 1e-4 <= abs(node) < 1e16):
            raise Unusual("float spelling")
        return node
    if is_record(node):
        return {name: plain(getattr(node, name)) for name in names_of(node)}
    if isinstance(node, (list, tuple)):
        return [plain(v) for v in node]
    if isinstance(node, dict) and all(type(k) is str for k in node):
        return {k: plain(v) for k, v in node.items()}
    raise Unusual(f"type {type(node).__name__}")


def summary(findings: list[dict[str, Any]]) -> dict[str, int]:
    count = {s.value: 0 for s in Status}
    for f in findings:
        count[f["status"]] += 1
    return {
        "total": len(findings),
        "passed": count["pass"],
        "warn": count["warn"],
        "fail": count["fail"],
        "unknown": count["unknown"],
        "error": count["error"],
        "not_applicable": count["not_applicable"],
    }


def host_status(findings: list[dict[str, Any]]) -> str:
    """diag.envelope.host_status for a run without errors (a check crash goes the model way)."""
    if not findings:
        return "unknown"
    statuses = (Status(f["status"]) for f in findings)
    worst = max(
        (Status.PASS if s is Status.NOT_APPLICABLE else s for s in statuses), key=lambda s: s.rank
    )
    return str(worst.value)


SCHEMA_VERSION = "1.3"  # schemas/envelope.py's; a unit test keeps them equal


def envelope_line(
    kind: str,
    host: dict[str, str],
    findings: list[dict[str, Any]],
    caps: dict[str, Capture],
    started: str,
    t0: float,
    data: dict[str, Any],
    max_bytes: int,
) -> tuple[bytes, str]:
    """One envelope as the model path prints it (schemas/envelope.py's field order) and its
    status; Unusual when it cannot be written as JSON or is over the byte cap (the model path
    bounds it)."""
    import diag

    status = host_status(findings)
    env = {
        "schema_version": SCHEMA_VERSION,
        "kind": kind,
        "tool": "diagctl",
        "tool_version": diag.__version__,
        "host": host,
        "ok": status == "pass",
        "status": status,
        "summary": summary(findings),
        "findings": findings,
        "errors": [],
        "truncated": {
            "cap_bytes": 0,
            "fields": [],
            "findings_dropped": 0,
            "captures": {k: c.truncated_bytes for k, c in caps.items() if c.truncated_bytes},
        },
        "collected_at": started,
        "duration_ms": int((time.monotonic() - t0) * 1000),
        "replayed": None,
        "data": data,
    }
    try:
        line = json.dumps(env, ensure_ascii=False, separators=(",", ":")).encode()
    except (UnicodeEncodeError, ValueError) as exc:
        raise Unusual("encoding") from exc
    if len(line) > max_bytes:
        raise Unusual("over the byte cap")
    return line, status
