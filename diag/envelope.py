"""Turning findings into an envelope: status, summary, and the hard byte cap."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timezone

from pydantic import BaseModel

from schemas.envelope import (
    Envelope,
    ErrorCode,
    ErrorInfo,
    Finding,
    Status,
    Summary,
    TruncatedField,
)

# Worst first: what a host's status is when its findings disagree.
HOST_ORDER = [Status.FAIL, Status.ERROR, Status.WARN, Status.UNKNOWN, Status.PASS]
# A not-applicable finding counts like pass for the host.
AS_HOST = {Status.NOT_APPLICABLE: Status.PASS}
# Dropped first when the cap forces findings out: the least interesting first.
DROP_ORDER = [
    Status.NOT_APPLICABLE,
    Status.PASS,
    Status.UNKNOWN,
    Status.ERROR,
    Status.WARN,
    Status.FAIL,
]
EVIDENCE_FLOOR = 80
MESSAGE_FLOOR = 160


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def summarize(findings: list[Finding]) -> Summary:
    count = {s: 0 for s in Status}
    for f in findings:
        count[f.status] += 1
    return Summary(
        total=len(findings),
        passed=count[Status.PASS],
        warn=count[Status.WARN],
        fail=count[Status.FAIL],
        unknown=count[Status.UNKNOWN],
        error=count[Status.ERROR],
        not_applicable=count[Status.NOT_APPLICABLE],
    )


def host_status(findings: list[Finding], errors: list[ErrorInfo]) -> Status:
    if not findings:
        return Status.ERROR if errors else Status.UNKNOWN
    return min((AS_HOST.get(f.status, f.status) for f in findings), key=HOST_ORDER.index)


def finalize(env: Envelope) -> Envelope:
    """Set summary, status and ok from the findings and errors (before any cap is applied)."""
    env.summary = summarize(env.findings)
    if env.status is not Status.UNREACHABLE:
        env.status = host_status(env.findings, env.errors)
    env.ok = env.status is Status.PASS
    return env


def size_of(env: Envelope) -> int:
    return len(env.model_dump_json().encode())


MAX_NOTES = 32
NOTE_BYTES = 160  # what one truncated.fields entry adds to the JSON, about


def _note(env: Envelope, field: TruncatedField) -> None:
    """Record a cut; past MAX_NOTES entries, cuts are summed into one `(more)` entry."""
    notes = env.truncated.fields
    if len(notes) < MAX_NOTES:
        notes.append(field)
        return
    if notes[-1].path != "(more)":
        notes.append(TruncatedField(path="(more)", original_bytes=0, kept_bytes=0))
    last = notes[-1]
    last.original_bytes += field.original_bytes
    last.kept_bytes += field.kept_bytes
    last.lines_dropped += field.lines_dropped


def _jlen(text: str) -> int:
    return len(json.dumps(text, ensure_ascii=False).encode())


def _cut(text: str, keep_bytes: int) -> str:
    return text.encode()[:keep_bytes].decode("utf-8", "ignore")


def _shrink_strings(env: Envelope, cap: int, floor: int, evidence: bool) -> None:
    """Cut the largest strings first, each no shorter than `floor` bytes, until under cap."""
    sites: list[tuple[int, str, int, int]] = []
    for i, f in enumerate(env.findings):
        if evidence:
            sites += [
                (_jlen(e), f"findings[{i}].evidence[{j}]", i, j) for j, e in enumerate(f.evidence)
            ]
        else:
            sites.append((_jlen(f.message), f"findings[{i}].message", i, -1))
    sites.sort(key=lambda s: (-s[0], s[1]))
    excess = size_of(env) - cap
    for size, path, i, j in sites:
        if excess <= 0 or size <= floor:
            break
        text = env.findings[i].evidence[j] if j >= 0 else env.findings[i].message
        orig = len(text.encode())
        keep = max(floor, orig - excess - NOTE_BYTES)
        if keep >= orig:
            continue
        new = _cut(text, keep) + "…"
        _note(
            env,
            TruncatedField(
                path=path,
                original_bytes=orig,
                kept_bytes=len(new.encode()),
                lines_dropped=text[len(new) - 1 :].count("\n"),
            ),
        )
        if j >= 0:
            env.findings[i].evidence[j] = new
        else:
            env.findings[i].message = new
        excess -= size - _jlen(new)


def _drop_evidence(env: Envelope) -> None:
    for i, f in enumerate(env.findings):
        if f.evidence:
            nbytes = sum(len(e.encode()) for e in f.evidence)
            _note(
                env,
                TruncatedField(
                    path=f"findings[{i}].evidence",
                    original_bytes=nbytes,
                    kept_bytes=0,
                    lines_dropped=sum(e.count("\n") + 1 for e in f.evidence),
                ),
            )
            f.evidence = []


def _drop_findings(env: Envelope, cap: int) -> None:
    """Keep the most important findings that fit (binary search over how many to keep)."""
    ranked = sorted(
        range(len(env.findings)), key=lambda i: (-DROP_ORDER.index(env.findings[i].status), i)
    )
    everything = env.findings
    lo, hi = 0, len(ranked)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        env.findings = [everything[i] for i in sorted(ranked[:mid])]
        if size_of(env) <= cap:
            lo = mid
        else:
            hi = mid - 1
    env.findings = [everything[i] for i in sorted(ranked[:lo])]
    env.truncated.findings_dropped += len(everything) - lo


def bound(env: Envelope, cap: int) -> Envelope:
    """Return `env`, cut deterministically to at most `cap` bytes of JSON, saying what was cut.

    Order: the largest evidence excerpts, then all evidence, then long messages, then the least
    important findings, then `data`; the summary keeps counting every finding.
    """
    if size_of(env) <= cap:
        return env
    env = env.model_copy(deep=True)
    env.truncated.cap_bytes = cap
    env.summary = summarize(env.findings)
    env.errors.append(
        ErrorInfo(
            code=ErrorCode.OUTPUT_TRUNCATED,
            message=f"envelope cut to fit {cap} bytes; see truncated",
            hint="raise --max-bytes or read the raw captures (--out DIR)",
        )
    )
    steps: list[Callable[[], None]] = [
        lambda: _shrink_strings(env, cap, EVIDENCE_FLOOR, evidence=True),
        lambda: _shrink_strings(env, cap, EVIDENCE_FLOOR, evidence=True),
        lambda: _drop_evidence(env),
        lambda: _shrink_strings(env, cap, MESSAGE_FLOOR, evidence=False),
        lambda: _drop_findings(env, cap),
        lambda: _drop_data(env),
    ]
    for step in steps:
        step()
        if size_of(env) <= cap:
            return env
    return _minimal(env, cap)


def _drop_data(env: Envelope) -> None:
    nbytes = len(json.dumps(env.data).encode())
    _note(env, TruncatedField(path="data", original_bytes=nbytes, kept_bytes=0))
    # A typed data model (HealthData) shrinks to its empty default, a plain dict to {}.
    env.data = type(env.data)() if isinstance(env.data, BaseModel) else {}


def _minimal(env: Envelope, cap: int) -> Envelope:
    """Last resort (a cap smaller than the envelope's own skeleton): status and counts only."""
    host = env.host.model_copy(
        update={"name": _cut(env.host.name, 256), "hostname": _cut(env.host.hostname, 256)}
    )
    return Envelope(
        kind=env.kind,
        tool_version=env.tool_version,
        host=host,
        ok=False,
        status=env.status,
        summary=env.summary,
        collected_at=env.collected_at,
        duration_ms=env.duration_ms,
        errors=[
            ErrorInfo(
                code=ErrorCode.OUTPUT_TRUNCATED,
                message=f"cap {cap} bytes too small for any finding",
            )
        ],
        truncated=env.truncated.model_copy(update={"fields": [], "captures": {}}),
    )
