"""What the payload prints on the host: one document of raw, source-capped captures."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

# Re-exported: the capture records are stdlib (schemas/capture.py).
from schemas.capture import Capture as Capture
from schemas.capture import CaptureError as CaptureError
from schemas.capture import CaptureFilter as CaptureFilter
from schemas.envelope import Strict


class PayloadOutput(Strict):
    payload_version: int
    mode: Literal["python", "sh"] = "python"
    duration_ms: int = 0
    captures: dict[str, Capture] = Field(default_factory=dict)
