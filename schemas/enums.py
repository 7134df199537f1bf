"""The verdict vocabulary of every document: statuses, severities, actions, error codes.

Stdlib only: the checks and `health --local` use these without importing pydantic
(schemas/envelope.py re-exports them for every other importer).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum


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
