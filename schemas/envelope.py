"""The envelope: one bounded JSON document per host per run, whatever happened to that host."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

# Re-exported: the enums live in a stdlib-only module (the `--local` fast path), importers of
# schemas.envelope need not change.
from schemas.enums import Action as Action
from schemas.enums import ErrorCode as ErrorCode
from schemas.enums import Severity as Severity
from schemas.enums import Status as Status
from schemas.enums import worst as worst
from schemas.finding import Finding as Finding

SCHEMA_VERSION = "1.3"


class Strict(BaseModel):
    """Base for every emitted or read document: unknown keys are an error, not a surprise."""

    model_config = ConfigDict(extra="forbid")


class ErrorInfo(Strict):
    code: ErrorCode
    message: str
    hint: str = ""


class HostRef(Strict):
    name: str = Field(description="The host as the user named it (inventory name or -H entry).")
    address: str = Field(default="", description="Address connected to; empty for --local.")
    host_id: str = Field(
        default="", description="Stable id: DMI serial, product_uuid or machine-id."
    )
    host_id_source: str = Field(
        default="", description="Where host_id came from: product_serial|product_uuid|machine_id."
    )
    hostname: str = Field(default="", description="The host's own hostname, as it reports it.")


class Summary(Strict):
    total: int = 0
    passed: int = 0
    warn: int = 0
    fail: int = 0
    unknown: int = 0
    error: int = 0
    not_applicable: int = 0


class TruncatedField(Strict):
    path: str = Field(description="Where the cut happened, e.g. findings[3].evidence[0].")
    original_bytes: int
    kept_bytes: int
    lines_dropped: int = 0


class Truncation(Strict):
    """What was cut to keep the envelope under its byte cap, and how much."""

    cap_bytes: int = 0
    fields: list[TruncatedField] = Field(default_factory=list)
    findings_dropped: int = 0
    captures: dict[str, int] = Field(
        default_factory=dict, description="Bytes the payload cut from each raw capture at source."
    )

    @property
    def any(self) -> bool:
        return bool(self.fields or self.findings_dropped or self.captures)


class Replayed(Strict):
    """How an envelope was re-judged from a recorded run (`--replay DIR`). Since schema 1.2."""

    at: str = Field(description="UTC, RFC 3339, when the replay ran.")
    source: str = Field(description="The --replay directory the captures were read from.")


class Envelope(Strict):
    schema_version: str = SCHEMA_VERSION
    kind: str = Field(description="Document kind, e.g. health.l1.")
    tool: str = "diagctl"
    tool_version: str
    host: HostRef
    ok: bool
    status: Status
    summary: Summary = Field(default_factory=Summary)
    findings: list[Finding] = Field(default_factory=list)
    errors: list[ErrorInfo] = Field(default_factory=list)
    truncated: Truncation = Field(default_factory=Truncation)
    collected_at: str = Field(
        description="UTC, RFC 3339, when collection started; a replay keeps the recorded time."
    )
    duration_ms: int
    replayed: Replayed | None = Field(
        default=None,
        description="Set when re-judged from a recorded run (--replay); null for a live run.",
    )
    data: dict[str, Any] = Field(
        default_factory=dict, description="Kind-specific, see data models."
    )
