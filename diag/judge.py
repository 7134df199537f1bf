"""What one host's captures say, as plain data: facts, identity, inventory, checks run.

Shared by diag/hostcheck.py (which wraps the results in the envelope models) and the
`--local` fast path (diag/fastpath/, which writes them with `json`): one implementation, so
the two envelopes cannot drift. Stdlib and the checks only: no pydantic.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from diag.checks.base import Check, Context, Rules
from schemas.capture import Capture
from schemas.enums import Action, ErrorCode, Severity, Status, worst
from schemas.finding import Finding

# DMI strings that identify nothing (vendors leave them in fields they did not fill).
NO_ID = ("", "none", "not specified", "default string", "to be filled by o.e.m.", "0")

RulesFor = Callable[[str, str], tuple[bool, Rules]]  # (check id, host class) -> (enabled, rules)


def facts_of(caps: Mapping[str, Capture]) -> dict[str, object]:
    cap = caps.get("facts")
    if cap is None or cap.error is not None:
        return {}
    try:
        facts = json.loads(cap.stdout)
    except (ValueError, RecursionError):  # a hostile host can nest `[` a million deep
        return {}
    return facts if isinstance(facts, dict) else {}


def host_identity(facts: Mapping[str, object]) -> tuple[str, str]:
    """(host_id, its source), best first: the board serial survives reinstalls, machine-id
    does not; ("", "") when none is usable."""
    for src in ("product_serial", "product_uuid", "machine_id"):
        val = str(facts.get(src, "")).strip()
        if val and val.lower() not in NO_ID:
            return val, src
    return "", ""


def host_facts(facts: Mapping[str, object]) -> dict[str, Any]:
    """`data.facts` of a health envelope, in its field order."""
    pretty = ""
    for line in str(facts.get("os_release", "")).splitlines():
        if line.startswith("PRETTY_NAME="):
            pretty = line.split("=", 1)[1].strip('"')
    try:
        uptime = float(str(facts.get("uptime_s", 0)))
        cpus = int(str(facts.get("cpu_count", 0)))
    except ValueError:
        uptime, cpus = 0.0, 0
    return {
        "hostname": str(facts.get("hostname", "")),
        "kernel": str(facts.get("kernel", "")),
        "arch": str(facts.get("arch", "")),
        "python": str(facts.get("python", "")),
        "cpu_count": cpus,
        "boot_id": str(facts.get("boot_id", "")),
        "uptime_s": uptime,
        "os_pretty_name": pretty,
    }


def crash_finding(check_id: str, exc: Exception, rules: Rules) -> tuple[Finding, dict[str, str]]:
    """A check that raised: an `error` finding and its `errors[]` entry (code, message, hint)."""
    import traceback  # a crashed check only: ~1.4 ms with textwrap, on every run otherwise

    where = traceback.extract_tb(exc.__traceback__)[-1]
    msg = f"{check_id}: {type(exc).__name__}: {str(exc)[:300]}"
    error = {
        "code": ErrorCode.CHECK_CRASHED.value,
        "message": msg,
        "hint": f"at {where.filename.rsplit('/', 1)[-1]}:{where.lineno}",
    }
    found = Finding(
        check_id=check_id,
        status=Status.ERROR,
        severity=Severity.MEDIUM,
        threshold_source=rules.source,
        message=msg,
        action=Action.MONITOR,
    )
    return found, error


def judge(
    caps: Mapping[str, Capture], checks: Iterable[Check], rules_for: RulesFor, ctx: Context
) -> tuple[list[Finding], list[dict[str, Any]], list[dict[str, str]]]:
    """Every enabled check: (findings, `data.checks` entries, `errors[]` entries). A check that
    raises becomes an `error` finding; the rest still run."""
    findings: list[Finding] = []
    runs: list[dict[str, Any]] = []
    errors: list[dict[str, str]] = []
    for check in checks:
        enabled, rules = rules_for(check.id, ctx.host_class)
        if not enabled:
            continue
        t0 = time.monotonic()
        try:
            found = check.evaluate(caps, rules, ctx)
        except Exception as exc:  # a parser met input it cannot read: report, continue
            crashed, error = crash_finding(check.id, exc, rules)
            found = [crashed]
            errors.append(error)
        findings += found
        runs.append(
            {
                "check_id": check.id,
                "status": worst((f.status for f in found), Status.UNKNOWN).value,
                "duration_ms": int((time.monotonic() - t0) * 1000),
            }
        )
    return findings, runs, errors
