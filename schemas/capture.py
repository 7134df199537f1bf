"""One raw capture the payload took on a host: a file's bytes or a command's output, capped.

A stdlib dataclass (schemas/record.py): the checks read captures on the `--local` fast path
without pydantic; schemas/payload.py's `PayloadOutput` validates untrusted payload output
into these.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from schemas.record import RECORD_CONFIG, Record, record

CaptureError = Literal["missing", "permission", "timeout", "exec_failed", "unsupported"]


@record(kw_only=True)
class CaptureFilter(Record):
    """What the payload kept of a capture filtered at the source (a kernel log: Xid lines)."""

    __pydantic_config__: ClassVar[dict[str, Any]] = RECORD_CONFIG

    match: str
    """Lines containing this text were kept, in order."""
    bytes: int
    """Size of the capped capture before filtering."""
    lines: int
    """Non-blank lines in the capped capture before filtering."""
    kept: int
    """Lines kept."""


@record(kw_only=True)
class Capture(Record):
    __pydantic_config__: ClassVar[dict[str, Any]] = RECORD_CONFIG

    source: str
    """File path or the argv that produced this capture."""
    rc: int | None = None
    stdout: str = ""
    stderr: str = ""
    duration_ms: int = 0
    truncated_bytes: int = 0
    """Bytes the payload dropped at source."""
    error: CaptureError | None = None
    detail: str = ""
    filtered: CaptureFilter | None = None
    """Set when stdout holds only the lines matching a filter."""
