"""The envelope: one bounded JSON document per host per run, whatever happened to that host."""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1.3"


class Strict(BaseModel):
    """Base for every emitted or read document: unknown keys are an error, not a surprise."""

    model_config = ConfigDict(extra="forbid")


class Status(str, Enum):
    """Verdict of a finding or of a whole host; ``rank`` orders them, ``worst()`` picks one."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    UNKNOWN = "unknown"
    ERROR = "error"
    UNREACHABLE = "unreachable"
    # The check does not apply to this host (GPU checks where there is no GPU and none is
    # expected). The host status and the exit code count it like pass. Since schema 1.1.
    NOT_APPLICABLE = "not_applicable"

    @property
    def rank(self) -> int:
        """How bad: not_applicable < pass < unknown < warn < error < fail < unreachable."""
        return _RANK[self]


_RANK = {
    Status.NOT_APPLICABLE: 0,
    Status.PASS: 1,
    Status.UNKNOWN: 2,
    Status.WARN: 3,
    Status.ERROR: 4,
    Status.FAIL: 5,
    Status.UNREACHABLE: 6,
}


def worst(statuses: Iterable[Status], default: Status = Status.PASS) -> Status:
    """The highest-ranked status of `statuses`, `default` when there is none."""
    return max(statuses, key=lambda s: s.rank, default=default)


class Severity(str, Enum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Action(str, Enum):
    """The remediation ladder, mildest first: none → monitor → reset → reboot → isolate."""

    NONE = "none"
    MONITOR = "monitor"
    RESET = "reset"
    REBOOT = "reboot"
    ISOLATE = "isolate"


class ErrorCode(str, Enum):
    """Every code an envelope's ``errors[]`` may carry (documented in docs/envelope.md)."""

    UNREACHABLE = "unreachable"  # no TCP connection / no route / connection refused
    TIMEOUT = "timeout"  # connect or per-host deadline passed
    AUTH = "auth"  # the host refused every credential
    HOST_KEY_CHANGED = "host_key_changed"  # the key differs from known_hosts: never accepted
    HOST_KEY_UNKNOWN = "host_key_unknown"  # no known_hosts entry and --accept-new not given
    TRANSPORT = "transport"  # any other SSH / process-level failure
    BECOME_FAILED = "become_failed"  # --become: `sudo -n` refused (needs a password, not allowed)
    PAYLOAD_FAILED = "payload_failed"  # the payload ran but printed no usable document
    NO_PYTHON = "no_python"  # the host has no python3; the sh fallback ran (reduced checks)
    CHECK_CRASHED = "check_crashed"  # a parser or evaluation raised; the other checks still ran
    TOOL_MISSING = "tool_missing"  # a command the check needs is not installed
    PERMISSION_DENIED = "permission_denied"  # a file or command needs more privilege
    OUTPUT_TRUNCATED = "output_truncated"  # the byte cap forced findings or data out
    INTERRUPTED = "interrupted"  # Ctrl-C / SIGTERM before the host finished
    ARTIFACT_WRITE_FAILED = "artifact_write_failed"  # --out could not be written (disk full)
    BAD_POLICY = "bad_policy"  # the policy file is unreadable or invalid
    INTERNAL = "internal"  # a bug in diagctl
    ACTION_FAILED = "action_failed"  # a cordon/uncordon/restart backend call failed
    BREAKER_TRIPPED = "breaker_tripped"  # the blast-radius guard stopped further cordons


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


class Finding(Strict):
    check_id: str
    status: Status
    severity: Severity = Severity.INFO
    entity: str = Field(default="", description="What the finding is about: a mount, a GPU UUID.")
    observed: Any = None
    threshold: Any = None
    threshold_source: str = ""
    message: str = ""
    action: Action = Action.NONE
    evidence: list[str] = Field(default_factory=list, description="Short excerpts of raw input.")


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
