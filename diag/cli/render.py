"""What reaches stdout and stderr: JSONL envelopes, or the readable view (`--human`).

Every value here can come from a host (names, unit names, mount points, error text), so each
line goes through `diag.textsafe` before it can reach a terminal.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from diag.textsafe import safe_text
from schemas.envelope import Envelope, Status

if TYPE_CHECKING:  # kept out of `diagctl --help`'s import time
    from diag.fleet.recap import Recap, RecapBuilder
    from probes.round import RoundResult
    from schemas.probe import AuditEnvelope, ProbeEnvelope

MARK = {
    Status.PASS: "PASS",
    Status.WARN: "WARN",
    Status.FAIL: "FAIL",
    Status.UNKNOWN: "UNKN",
    Status.ERROR: "ERR ",
    Status.UNREACHABLE: "DOWN",
    Status.NOT_APPLICABLE: "N/A ",
}
# SGR colours of the status words: FAIL and DOWN red, WARN yellow, PASS green, UNKNOWN and
# ERROR magenta, N/A dim.
SGR = {
    Status.PASS: "32",
    Status.WARN: "33",
    Status.FAIL: "31",
    Status.UNKNOWN: "35",
    Status.ERROR: "35",
    Status.UNREACHABLE: "31",
    Status.NOT_APPLICABLE: "2",
}
VERDICT_STATUS = {"healthy": Status.PASS, "slow": Status.WARN, "zombie": Status.FAIL}


def colour_wanted(env: Mapping[str, str], stdout_is_tty: bool) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set to anything (no-color.org) or
    the terminal says it cannot (TERM=dumb)."""
    return stdout_is_tty and not env.get("NO_COLOR") and env.get("TERM") != "dumb"


def paint(word: str, status: Status, colour: bool) -> str:
    """`word` in its status colour. Only our own words are painted, and only after every
    host-provided string beside them went through safe_text: no host text carries a colour."""
    return f"\x1b[{SGR[status]}m{word}\x1b[0m" if colour else word


def human(env: Envelope, verbose: bool = False, colour: bool = False) -> str:
    head = (
        safe_text(env.host.name)
        + "  "
        + paint(env.status.value.upper(), env.status, colour)
        + f"  ({env.summary.passed} pass, {env.summary.warn} warn, {env.summary.fail} fail, "
        f"{env.summary.unknown} unknown, {env.summary.error} error; {env.duration_ms} ms)"
    )
    lines = [head]
    for f in env.findings:
        if f.status in (Status.PASS, Status.NOT_APPLICABLE) and not verbose:
            continue
        row = f"  {f.check_id:<24} {f.entity:<12} {f.message}"
        if f.action.value != "none":
            row += f"  [action: {f.action.value}]"
        lines.append("  " + paint(MARK[f.status], f.status, colour) + safe_text(row))
    for e in env.errors:
        line = f"  error {e.code.value}: {e.message}" + (f" — {e.hint}" if e.hint else "")
        lines.append(safe_text(line))
    if env.truncated.fields or env.truncated.findings_dropped:
        lines.append(f"  (output cut to {env.truncated.cap_bytes} bytes; see --out for raw)")
    return "\n".join(lines)


def human_all(envs: Iterable[Envelope], verbose: bool = False) -> str:
    return "\n".join(human(e, verbose) for e in envs)


COUNT_ORDER = (
    Status.PASS,
    Status.WARN,
    Status.FAIL,
    Status.UNKNOWN,
    Status.ERROR,
    Status.UNREACHABLE,
    Status.NOT_APPLICABLE,
)


def recap_text(rc: Recap, colour: bool = False) -> str:
    """The fleet recap: one line per shared finding (worst first), then hosts per status.

    `FAIL  gpu.xid                  3 hosts  gpu-[01-03]: Xid 79 ...`
    """
    from diag.fleet.recap import hostlist

    total = sum(len(h) for h in rc.host_status.values())
    lines = ["RECAP"]
    for g in rc.groups:
        hosts = f"{len(g.hosts)} host{'s' if len(g.hosts) != 1 else ''}"
        row = f"  {g.check_id:<24} {hosts:>9}  {hostlist(g.hosts)}: {g.message()}"
        lines.append("  " + paint(MARK[g.status], g.status, colour) + safe_text(row))
    counts = [
        f"{len(rc.host_status[s])} " + paint(s.value, s, colour)
        for s in COUNT_ORDER
        if rc.host_status.get(s)
    ]
    lines.append(f"{total} hosts: " + ", ".join(counts))
    return "\n".join(lines)


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


def render_to_stdout(
    as_human: bool,
    verbose: bool,
    total: int = 0,
    colour: bool = False,
    recap: RecapBuilder | None = None,
) -> Callable[[Envelope], None]:
    """One envelope per line as it arrives (JSON, or the readable view), progress on a TTY;
    each envelope also goes into `recap` when one is given."""

    def emit(env: Envelope) -> None:
        if recap is not None:
            recap.add(env)
        line = human(env, verbose, colour) if as_human else env.model_dump_json()
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


def probe_line(env: ProbeEnvelope, colour: bool = False) -> str:
    """One target's line; endpoint text is redacted and made safe piece by piece, and only the
    verdict word, ours, is painted."""
    from diag import redact

    d = env.data
    tm = d.timings

    def ms(v: float | None) -> str:
        return "-" if v is None else f"{v:.0f}ms"

    def safe(text: str) -> str:
        return safe_text(redact.text(text))

    act = "" if d.action.value == "none" else f"  [{d.action.value}: {d.action_result.value}]"
    verdict = d.verdict.value.upper() if d.verdict else "-"
    status = VERDICT_STATUS.get(d.verdict.value if d.verdict else "", Status.FAIL)
    pad = " " * max(0, 8 - len(verdict))
    return (
        safe(f"{d.target:<20} {d.node:<14} ")
        + paint(verdict, status, colour and d.verdict is not None)
        + safe(
            f"{pad} ttft {ms(tm.ttft_ms):>7} itl {ms(tm.itl_ms_max):>7} tok {tm.tokens:>3} "
            f"fail {d.state.consecutive_fail} pass {d.state.consecutive_pass}  "
            f"{d.reason[:70]}{act}"
        )
    )


def emit_round(result: RoundResult, human: bool, colour: bool = False) -> None:
    """Write the round to stdout; every line goes through diag.redact once more."""
    from diag import redact
    from probes.envelopes import redacted

    out = sys.stdout
    for env in result.probes:
        line = probe_line(env, colour) if human else redact.text(redacted(env).model_dump_json())
        out.write(line + "\n")
    emit_audits(result.audits, human)


def emit_audits(audits: list[AuditEnvelope], human: bool) -> None:
    """One `AUDIT action node: result message` line each on a terminal, envelopes as JSONL."""
    from diag import redact
    from probes.envelopes import redacted

    out = sys.stdout
    for aenv in audits:
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
