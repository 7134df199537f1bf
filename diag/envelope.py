"""Turning findings into an envelope: status, summary, and the hard byte cap."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel

from diag.stamp import utc_now as utc_now  # the stamp every document carries
from schemas.envelope import (
    Envelope,
    ErrorCode,
    ErrorInfo,
    Finding,
    HostRef,
    Replayed,
    Status,
    Summary,
    TruncatedField,
    Truncation,
    worst,
)

E = TypeVar("E", bound=Envelope)  # an envelope of any kind (health, reset-reason, bundle)

# A not-applicable finding counts like pass for the host.
AS_HOST = {Status.NOT_APPLICABLE: Status.PASS}
# Dropped first when the cap forces findings out: the least interesting first. Not Status.rank:
# a check's own finding (warn) is kept over a check that could not run (error).
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
MIN_CAP = 1024  # the skeleton (`_skeleton`) needs ~700 bytes at most; the CLI refuses a smaller cap
OUTSIDE_MAX = 8192  # no host name, address, error text or data string needs more
STRING_FLOOR = 64  # longer than any enum value, so a cut never breaks a Literal field
MAX_DEPTH = 32  # deeper JSON is replaced by a marker string (nothing of ours nests this deep)
_SKIP = ("evidence", "message")  # findings fields with their own steps


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
    return worst(AS_HOST.get(f.status, f.status) for f in findings)


def finalize(env: Envelope) -> Envelope:
    """Set summary, status and ok from the findings and errors (before any cap is applied)."""
    env.summary = summarize(env.findings)
    if env.status is not Status.UNREACHABLE:
        env.status = host_status(env.findings, env.errors)
    env.ok = env.status is Status.PASS
    return env


INTERRUPTED = "interrupted before this host finished"


def interrupted(env: E) -> E:
    """`env`, a finalized envelope of a host that Ctrl-C or SIGTERM stopped, saying so: we
    stopped, not the host, so nothing is known about it (`unknown`, not `unreachable`, not
    `error`)."""
    env.errors = [
        ErrorInfo(code=ErrorCode.INTERRUPTED, message=INTERRUPTED, hint="rerun for this host")
    ]
    env.status = Status.UNKNOWN
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
    before = env.truncated.findings_dropped

    def keep(n: int) -> None:
        # The count is part of the size: 0 -> 12 dropped is one more byte to fit.
        env.findings = [everything[i] for i in sorted(ranked[:n])]
        env.truncated.findings_dropped = before + len(everything) - n

    lo, hi = 0, len(ranked)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        keep(mid)
        if size_of(env) <= cap:
            lo = mid
        else:
            hi = mid - 1
    keep(lo)


def bound(env: Envelope, cap: int) -> Envelope:
    """Return `env`, cut deterministically to at most `cap` bytes of JSON, saying what was cut.

    Total: never raises, and always returns an envelope of the same kind that validates and fits
    (a `cap` below MIN_CAP counts as MIN_CAP). Order: strings over OUTSIDE_MAX bytes outside the
    findings (a 70 KB hostname), the largest evidence excerpts, then all evidence, then long
    messages, then the least important findings, then `data`, then every string (any field);
    last, the skeleton. The summary keeps counting every finding.
    """
    cap = max(cap, MIN_CAP)
    try:
        if size_of(env) <= cap:
            return env
        return _bound(env, cap)
    except Exception as exc:
        return _skeleton(env, cap, f"cut to its skeleton: {type(exc).__name__} while bounding")


def _bound(env: Envelope, cap: int) -> Envelope:
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
    env = _cut_strings(env, OUTSIDE_MAX, skip_findings=True)
    if size_of(env) <= cap:
        return env
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
    # The host's name is what identifies the envelope: it is cut only after everything else.
    cuts = ((1024, True), (256, True), (STRING_FLOOR, True), (256, False), (STRING_FLOOR, False))
    for limit, keep_name in cuts:
        env = _cut_strings(env, limit, skip_findings=False, keep_name=keep_name)
        if size_of(env) <= cap:
            return env
    return _skeleton(env, cap, f"cap {cap} bytes too small for any finding")


def _drop_data(env: Envelope) -> None:
    nbytes = len(json.dumps(env.model_dump(mode="json")["data"]).encode())
    _note(env, TruncatedField(path="data", original_bytes=nbytes, kept_bytes=0))
    # A typed data model (HealthData) shrinks to its empty default, a plain dict to {}.
    env.data = type(env.data)() if isinstance(env.data, BaseModel) else {}


def _cut_strings(
    env: Envelope, limit: int, skip_findings: bool, keep_name: bool = True
) -> Envelope:
    """Every string (and dict key) over `limit` UTF-8 bytes cut, each cut noted; a new model."""
    doc = env.model_dump(mode="json")
    notes: list[TruncatedField] = []

    def walk(node: object, path: str, depth: int) -> object:
        if isinstance(node, str):
            return _clip(node, limit, path, notes)
        if depth >= MAX_DEPTH and isinstance(node, (dict, list)):
            nbytes = len(json.dumps(node).encode())
            notes.append(TruncatedField(path=path, original_bytes=nbytes, kept_bytes=14))
            return "(nested deeper)"
        if isinstance(node, list):
            return [walk(v, f"{path}[{i}]", depth + 1) for i, v in enumerate(node)]
        if isinstance(node, dict):
            out: dict[str, object] = {}
            for k, v in node.items():
                key = _clip(str(k), limit, f"{path}.(key)", notes)
                if key not in out:
                    out[key] = walk(v, f"{path}.{key[:STRING_FLOOR]}", depth + 1)
            return out
        return node

    outside = ("kind", "tool_version", "host", "errors", "collected_at", "data", "truncated")
    for name in (*outside, "replayed"):
        doc[name] = walk(doc[name], name, 0)
    if keep_name:
        doc["host"]["name"] = env.host.name
        notes = [n for n in notes if n.path != "host.name"]
    for i, f in enumerate(doc["findings"]):
        for k, v in f.items():
            if not (skip_findings and k in _SKIP):
                f[k] = walk(v, f"findings[{i}].{k}", 1)
    new = type(env).model_validate(doc)
    earlier = {n.path: n for n in new.truncated.fields}
    for note in notes:
        if note.path in earlier:  # cut again, shorter: one note per field, from its first size
            earlier[note.path].kept_bytes = note.kept_bytes
            earlier[note.path].lines_dropped += note.lines_dropped
        else:
            _note(new, note)
    return new


def _clip(text: str, limit: int, path: str, notes: list[TruncatedField]) -> str:
    """`text` if its JSON form fits `limit` bytes, else a prefix that does plus `…`, noted."""
    if _jlen(text) <= limit:
        return text
    keep = _cut(text, limit - 5)
    while keep and _jlen(keep) > limit - 3:  # NULs and escapes take 6 bytes each in JSON
        keep = keep[: len(keep) // 2]
    notes.append(
        TruncatedField(
            path=path,
            original_bytes=len(text.encode("utf-8", "replace")),
            kept_bytes=len(keep.encode()) + 3,
            lines_dropped=text[len(keep) :].count("\n"),
        )
    )
    return keep + "…"


def _total(summary: Summary) -> int:
    return summary.total


def _plain(get: Callable[[], object], limit: int = STRING_FLOOR) -> str:
    """A short, printable-as-JSON string from whatever `get` returns; never raises."""
    try:
        text = str(get())
    except Exception:
        return ""
    return _clip(text.encode("utf-8", "replace").decode(), limit, "", [])


def _skeleton(env: Envelope, cap: int, why: str) -> Envelope:
    """Last resort: status, counts and a cut host reference; fits MIN_CAP whatever `env` holds."""
    try:  # the summary counted every finding before any was dropped
        status, summary = env.status, max(env.summary, summarize(env.findings), key=_total)
    except Exception:
        status, summary = Status.ERROR, Summary()
    try:
        duration = int(env.duration_ms)
        dropped = len(env.findings) + int(env.truncated.findings_dropped)
    except Exception:
        duration, dropped = 0, 0
    host = HostRef(
        name=_plain(lambda: env.host.name),
        address=_plain(lambda: env.host.address),
        host_id=_plain(lambda: env.host.host_id),
        host_id_source=_plain(lambda: env.host.host_id_source, 16),
        hostname=_plain(lambda: env.host.hostname),
    )
    fields: dict[str, object] = {
        "kind": _plain(lambda: env.kind),
        "tool_version": _plain(lambda: env.tool_version),
        "host": host,
        "ok": status is Status.PASS,
        "status": status,
        "summary": summary,
        "collected_at": _plain(lambda: env.collected_at),
        "duration_ms": duration,
        "errors": [ErrorInfo(code=ErrorCode.OUTPUT_TRUNCATED, message=why)],
        "truncated": Truncation(cap_bytes=cap, findings_dropped=dropped),
    }
    with contextlib.suppress(Exception):  # a SIEM must still see that this was a replay
        rep = env.replayed
        if rep is not None:
            fields["replayed"] = Replayed(
                at=_plain(lambda: rep.at), source=_plain(lambda: rep.source)
            )
    try:  # the same kind of envelope (HealthEnvelope: empty typed data)
        out = type(env).model_validate(fields)
    except Exception:
        out = Envelope.model_validate(fields)
    out.truncated.fields = [TruncatedField(path="(all)", original_bytes=0, kept_bytes=0)]
    with contextlib.suppress(Exception):
        out.truncated.fields[0].original_bytes = size_of(env)
    out.truncated.fields[0].kept_bytes = size_of(out)
    return out
