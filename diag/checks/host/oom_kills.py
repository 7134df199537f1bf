"""OOM kills since boot, from the oom_kill counter in /proc/vmstat (Linux 4.13+)."""

from __future__ import annotations

from collections.abc import Mapping

from diag.checks.base import (
    Check,
    Context,
    Rules,
    Source,
    capture_problem,
    crossed,
    finding,
    graded,
)
from schemas.capture import Capture
from schemas.finding import Finding

ID = "host.oom_kills"


def parse_vmstat(stdout: str) -> dict[str, int]:
    out = {}
    for line in stdout.splitlines():
        f = line.split()
        if len(f) == 2 and f[1].lstrip("-").isdigit():
            out[f[0]] = int(f[1])
    return out


def evaluate(caps: Mapping[str, Capture], rules: Rules, ctx: Context) -> list[Finding]:
    problem = capture_problem(ID, caps, "vmstat", rules)
    if problem:
        return [problem]
    stats = parse_vmstat(caps["vmstat"].stdout)
    if "oom_kill" not in stats:
        # The counter exists since Linux 4.13; without it we cannot tell, so we do not pass.
        raise ValueError("no oom_kill counter in /proc/vmstat (kernel < 4.13 or garbage)")
    kills = stats["oom_kill"]
    status = graded(kills, rules["warn_kills"], rules["fail_kills"])
    return [
        finding(
            ID,
            status,
            rules,
            entity="kernel",
            observed={"oom_kills_this_boot": kills},
            message=f"{kills} OOM kill(s) since boot"
            + crossed(status, rules["warn_kills"], rules["fail_kills"]),
        )
    ]


CHECK = Check(
    ID,
    "OOM kills this boot",
    "/proc/vmstat oom_kill",
    (Source("vmstat", "file", path="/proc/vmstat", cap=65536),),
    evaluate,
)
