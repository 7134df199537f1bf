"""What the payload prints on the host: one document of raw, source-capped captures."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from schemas.envelope import Strict

CaptureError = Literal["missing", "permission", "timeout", "exec_failed", "unsupported"]


class Capture(Strict):
    source: str = Field(description="File path or the argv that produced this capture.")
    rc: int | None = None
    stdout: str = ""
    stderr: str = ""
    duration_ms: int = 0
    truncated_bytes: int = Field(default=0, description="Bytes the payload dropped at source.")
    error: CaptureError | None = None
    detail: str = ""


class PayloadOutput(Strict):
    payload_version: int
    mode: Literal["python", "sh"] = "python"
    duration_ms: int = 0
    captures: dict[str, Capture] = Field(default_factory=dict)
