"""What reaches stdout and stderr: JSONL envelopes, or the readable view (`--human`).

Every value here can come from a host (names, unit names, mount points, error text), so each
line goes through `diag.textsafe` before it can reach a terminal.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from diag.textsafe import safe_lines, safe_text
from schemas.envelope import Envelope, Status

if TYPE_CHECKING:  # kept out of `diagctl --help`'s import time
    from probes.round import RoundResult
    from schemas.probe import ProbeEnvelope

MARK = {
    Status.PASS: "PASS",
    Status.WARN: "WARN",
    Status.FAIL: "FAIL",
    Status.UNKNOWN: "UNKN",
    Status.ERROR: "ERR ",
    Status.UNREACHABLE: "DOWN",
    Status.NOT_APPLICABLE: "N/A ",
}


def human(env: Envelope, verbose: bool = False) -> str:
    head = (
        f"{env.host.name}  {env.status.value.upper()}  ({env.summary.passed} pass, "
        f"{env.summary.warn} warn, {env.summary.fail} fail, {env.summary.unknown} unknown, "
        f"{env.summary.error} error; {env.duration_ms} ms)"
    )
    lines = [head]
    for f in env.findings:
        if f.status in (Status.PASS, Status.NOT_APPLICABLE) and not verbose:
            continue
        row = f"  {MARK[f.status]}  {f.check_id:<24} {f.entity:<12} {f.message}"
        if f.action.value != "none":
            row += f"  [action: {f.action.value}]"
        lines.append(row)
    for e in env.errors:
        lines.append(f"  error {e.code.value}: {e.message}" + (f" — {e.hint}" if e.hint else ""))
    if env.truncated.fields or env.truncated.findings_dropped:
        lines.append(f"  (output cut to {env.truncated.cap_bytes} bytes; see --out for raw)")
    return safe_lines(lines)


def human_all(envs: Iterable[Envelope], verbose: bool = False) -> str:
    return "\n".join(human(e, verbose) for e in envs)


def with_progress(emit: Callable[[Envelope], None], total: int) -> Callable[[Envelope], None]:
    """A one-line progress count on stderr, only when stderr is a terminal."""
    if not sys.stderr.isatty():
        return emit
    counts: dict[str, int] = {}

    def wrapped(env: Envelope) -> None:
        counts[env.status.value] = counts.get(env.status.value, 0) + 1
        done = sum(counts.values())
        sys.stderr.write("\r\x1b[2K")  # clear the progress line before the envelope prints
        emit(env)
        detail = " ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        end = "\n" if done >= total else ""
        sys.stderr.write(f"\r[{done}/{total}] {detail}{end}")
        sys.stderr.flush()

    return wrapped


def render_to_stdout(as_human: bool, verbose: bool, total: int = 0) -> Callable[[Envelope], None]:
    """One envelope per line as it arrives (JSON, or the readable view), progress on a TTY."""

    def emit(env: Envelope) -> None:
        line = human(env, verbose) if as_human else env.model_dump_json()
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    if total > 1:
        return with_progress(emit, total)
    return emit


def catalog_rows(rows: list[dict[str, Any]], as_json: bool) -> list[str]:
    """`diagctl checks list`: one JSON object per check, or a readable block."""
    if as_json:
        return [json.dumps(row) for row in rows]
    out = []
    for row in rows:
        th = ", ".join(f"{k}={v}" for k, v in row["thresholds"].items())
        out.append(
            f"{row['id']:<22} {'on ' if row['enabled'] else 'off'} {row['title']}\n"
            f"    reads: {row['reads']}\n    thresholds: {th}\n"
            f"    source: {row['source']}"
        )
    return out


def probe_line(env: ProbeEnvelope) -> str:
    d = env.data
    tm = d.timings

    def ms(v: float | None) -> str:
        return "-" if v is None else f"{v:.0f}ms"

    act = "" if d.action.value == "none" else f"  [{d.action.value}: {d.action_result.value}]"
    verdict = d.verdict.value.upper() if d.verdict else "-"
    return safe_text(
        f"{d.target:<20} {d.node:<14} {verdict:<8} ttft {ms(tm.ttft_ms):>7} "
        f"itl {ms(tm.itl_ms_max):>7} tok {tm.tokens:>3} fail {d.state.consecutive_fail} "
        f"pass {d.state.consecutive_pass}  {d.reason[:70]}{act}"
    )


def emit_round(result: RoundResult, human: bool) -> None:
    """Write the round to stdout; every line goes through diag.redact once more."""
    from diag import redact
    from probes.envelopes import redacted

    out = sys.stdout
    for env in result.probes:
        line = probe_line(env) if human else redacted(env).model_dump_json()
        out.write(redact.text(line) + "\n")
    for aenv in result.audits:
        rec = aenv.data
        if human and rec is not None:
            line = (
                f"AUDIT {rec.action.value} {rec.node or rec.group}: {rec.result.value} "
                f"{rec.message}"
            )
            out.write(safe_text(redact.text(line)) + "\n")
        elif not human:
            out.write(redacted(aenv).model_dump_json() + "\n")
    out.flush()
