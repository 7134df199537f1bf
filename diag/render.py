"""Human rendering (`--human`): a table per run. JSON output never passes through here.

Every value here can come from a host (names, unit names, mount points, error text), so each
line goes through `diag.textsafe` before it can reach a terminal.
"""

from __future__ import annotations

from collections.abc import Iterable

from diag.textsafe import safe_lines
from schemas.envelope import Envelope, Status

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
