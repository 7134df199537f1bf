"""What a check is: the captures it needs, and a pure function from captures to findings.

A check module declares ``CHECK = Check(...)``; parsers inside it take text and return data,
and never touch subprocess, SSH, the clock or the environment.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from schemas.capture import Capture
from schemas.enums import Action, Severity, Status
from schemas.finding import Finding
from schemas.record import field, record


@record(frozen=True)
class Source:
    """One capture the payload takes on the host (see diag/payload/collector.py)."""

    name: str
    type: str  # file | cmd | statvfs | adjtimex | facts | globs | nvml
    path: str = ""
    argv: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    cap: int = 65536
    tail: bool = False
    timeout_s: float = 5.0
    # Ship only the lines containing this text (after the cap, so truncation is unchanged):
    # the jump host would discard the rest anyway.
    grep: str = ""
    # Captures the payload runs only when this one cannot (nvml → nvidia-smi).
    fallback: tuple[Source, ...] = ()

    def spec(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.type, "cap": self.cap}
        if self.path:
            out["path"] = self.path
        if self.argv:
            out["argv"] = list(self.argv)
        if self.paths:
            out["paths"] = list(self.paths)
        if self.tail:
            out["tail"] = True
        if self.type == "cmd":
            out["timeout_s"] = self.timeout_s
        if self.grep:
            out["grep"] = self.grep
        if self.fallback:
            out["fallback"] = [f.spec() for f in self.fallback]
        return out


@record(frozen=True)
class Rules:
    """A check's resolved policy: thresholds for this host class and where they come from."""

    thresholds: Mapping[str, Any]
    source: str

    def __getitem__(self, key: str) -> Any:
        return self.thresholds[key]


@record(frozen=True)
class Context:
    """Facts about the host a check may use besides its own captures."""

    cpu_count: int = 0
    host_class: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)
    # Per-host scratch for what several checks derive from the same captures (the GPU view):
    # one Context is made per host run, so it never outlives that host's captures.
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


Evaluate = Callable[[Mapping[str, Capture], Rules, Context], list[Finding]]


@record(frozen=True)
class Check:
    id: str
    title: str
    reads: str  # what it reads, for `diagctl checks list`
    sources: tuple[Source, ...]
    evaluate: Evaluate


ANSI_RE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]|[\x00-\x08\x0b-\x1f\x7f]")


def clean(text: str, limit: int = 512) -> str:
    """An evidence excerpt: control and ANSI escape sequences removed, at most `limit` chars."""
    text = ANSI_RE.sub("", text)
    return text if len(text) <= limit else text[:limit] + "…"


def one_line(text: str, limit: int = 512) -> str:
    """`clean`, with all whitespace runs (newlines included) folded to one space."""
    return clean(" ".join(text.split()), limit)


def capture_problem(
    check_id: str, caps: Mapping[str, Capture], name: str, rules: Rules, entity: str = ""
) -> Finding | None:
    """An `unknown` finding when capture `name` is absent or failed, else None.

    A missing tool or unreadable file never becomes a silent pass.
    """
    cap = caps.get(name)
    if cap is None:
        reason = f"capture {name!r} was not collected (payload mode without it?)"
    elif cap.error is not None:
        reason = f"{cap.source}: {cap.error}" + (
            f" ({one_line(cap.detail, 200)})" if cap.detail else ""
        )
    elif cap.rc not in (0, None):
        reason = f"{cap.source} exited {cap.rc}: {one_line(cap.stderr, 200)}"
    else:
        return None
    return unknown(check_id, reason, rules, entity)


_ALL: Any = object()  # finding()'s default threshold: every threshold of the rules


def finding(
    check_id: str,
    status: Status,
    rules: Rules,
    *,
    entity: str = "",
    message: str = "",
    observed: Any = None,
    threshold: Any = _ALL,
    action: Action | None = None,
    evidence: list[str] | None = None,
) -> Finding:
    """The one way a check makes a finding: severity follows the status, the action defaults to
    none for pass and monitor otherwise, the threshold defaults to all of the rules' thresholds,
    and the threshold source is always the rules'."""
    return Finding(
        check_id=check_id,
        status=status,
        severity=SEVERITY_OF[status],
        entity=entity,
        observed=observed,
        threshold=dict(rules.thresholds) if threshold is _ALL else threshold,
        threshold_source=rules.source,
        message=message,
        action=DEFAULT_ACTION.get(status, Action.MONITOR) if action is None else action,
        evidence=evidence or [],
    )


def unknown(check_id: str, reason: str, rules: Rules, entity: str = "") -> Finding:
    return finding(
        check_id,
        Status.UNKNOWN,
        rules,
        entity=entity,
        message=f"cannot judge: {reason}",
        threshold=None,
    )


def graded(value: float, warn: float, fail: float, higher_is_worse: bool = True) -> Status:
    """PASS/WARN/FAIL of a number against two thresholds; a value equal to one crosses it."""
    if higher_is_worse:
        return Status.FAIL if value >= fail else Status.WARN if value >= warn else Status.PASS
    return Status.FAIL if value <= fail else Status.WARN if value <= warn else Status.PASS


def crossed(
    status: Status, warn: float, fail: float, unit: str = "", higher_is_worse: bool = True
) -> str:
    """The threshold `graded` found crossed, for the message: ` >= fail 90%`, ` <= warn 10%`;
    empty when nothing was crossed."""
    if status not in (Status.WARN, Status.FAIL):
        return ""
    op = ">=" if higher_is_worse else "<="
    name, limit = ("fail", fail) if status is Status.FAIL else ("warn", warn)
    return f" {op} {name} {limit}{unit}"


SEVERITY_OF = {
    Status.PASS: Severity.INFO,
    Status.WARN: Severity.MEDIUM,
    Status.FAIL: Severity.HIGH,
    Status.UNKNOWN: Severity.LOW,
    Status.ERROR: Severity.MEDIUM,
    Status.UNREACHABLE: Severity.HIGH,
    Status.NOT_APPLICABLE: Severity.INFO,
}
DEFAULT_ACTION = {Status.PASS: Action.NONE, Status.NOT_APPLICABLE: Action.NONE}
