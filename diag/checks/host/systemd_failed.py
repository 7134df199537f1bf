"""Failed systemd units, from `systemctl list-units --state=failed`; GPU services fail the host."""

from __future__ import annotations

from collections.abc import Mapping

from diag.checks.base import Check, Context, Rules, capture_problem, finding
from diag.checks.host.sources import SYSTEMD_FAILED
from schemas.capture import Capture
from schemas.enums import Action, Status
from schemas.finding import Finding

ID = "host.systemd_failed"


def parse_failed_units(stdout: str) -> list[str]:
    """`systemctl list-units --state=failed --plain --no-legend`: the unit is the first word."""
    return [ln.split()[0].lstrip("●* ") for ln in stdout.splitlines() if ln.strip()]


def evaluate(caps: Mapping[str, Capture], rules: Rules, ctx: Context) -> list[Finding]:
    problem = capture_problem(ID, caps, "systemd_failed", rules, "systemd")
    if problem:
        return [problem]
    units = [
        u
        for u in parse_failed_units(caps["systemd_failed"].stdout)
        if u not in rules["ignore_units"]
    ]
    critical = [u for u in units if u in rules["fail_units"]]
    status = Status.FAIL if critical else Status.WARN if units else Status.PASS
    msg = f"{len(units)} failed unit(s): {', '.join(units)}" if units else "no failed units"
    return [
        finding(
            ID,
            status,
            rules,
            entity="systemd",
            observed={"failed": units},
            message=msg,
            action=Action.REBOOT if critical else None,
        )
    ]


CHECK = Check(
    ID,
    "Failed systemd units",
    "systemctl list-units --state=failed",
    (SYSTEMD_FAILED,),
    evaluate,
)
