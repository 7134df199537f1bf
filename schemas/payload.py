"""What the payload prints on the host: one document of raw, source-capped captures."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from schemas.envelope import Strict

CaptureError = Literal["missing", "permission", "timeout", "exec_failed", "unsupported"]


class CaptureFilter(Strict):
    """What the payload kept of a capture filtered at the source (a kernel log: Xid lines)."""

    match: str = Field(description="Lines containing this text were kept, in order.")
    bytes: int = Field(description="Size of the capped capture before filtering.")
    lines: int = Field(description="Non-blank lines in the capped capture before filtering.")
    kept: int = Field(description="Lines kept.")


class Capture(Strict):
    source: str = Field(description="File path or the argv that produced this capture.")
    rc: int | None = None
    stdout: str = ""
    stderr: str = ""
    duration_ms: int = 0
    truncated_bytes: int = Field(default=0, description="Bytes the payload dropped at source.")
    error: CaptureError | None = None
    detail: str = ""
    filtered: CaptureFilter | None = Field(
        default=None, description="Set when stdout holds only the lines matching a filter."
    )


class PayloadOutput(Strict):
    payload_version: int
    mode: Literal["python", "sh"] = "python"
    duration_ms: int = 0
    captures: dict[str, Capture] = Field(default_factory=dict)
