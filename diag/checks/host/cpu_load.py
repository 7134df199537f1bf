"""CPU load against the number of usable cores, from /proc/loadavg (proc(5))."""

from __future__ import annotations

from collections.abc import Mapping

from diag.checks.base import (
    Check,
    Context,
    Rules,
    Source,
    capture_problem,
    clean,
    crossed,
    finding,
    graded,
    unknown,
)
from schemas.capture import Capture
from schemas.finding import Finding

ID = "host.cpu_load"


def parse(stdout: str) -> tuple[float, float, float]:
    """`0.52 0.58 0.59 1/467 12345` → (1, 5, 15 minute averages). Raises ValueError on garbage."""
    parts = stdout.split()
    if len(parts) < 3:
        raise ValueError(f"expected 3 load averages, got {len(parts)} fields")
    one, five, fifteen = (float(p) for p in parts[:3])
    if min(one, five, fifteen) < 0:
        raise ValueError("negative load average")
    return one, five, fifteen


def evaluate(caps: Mapping[str, Capture], rules: Rules, ctx: Context) -> list[Finding]:
    problem = capture_problem(ID, caps, "loadavg", rules)
    if problem:
        return [problem]
    if ctx.cpu_count <= 0:
        return [unknown(ID, "usable core count unknown", rules)]
    one, five, fifteen = parse(caps["loadavg"].stdout)
    # The 5-minute average: the 1-minute one flaps on a single cron burst.
    per_core = round(five / ctx.cpu_count, 2)
    status = graded(per_core, rules["warn_per_core"], rules["fail_per_core"])
    observed = {
        "load1": one,
        "load5": five,
        "load15": fifteen,
        "cores": ctx.cpu_count,
        "load5_per_core": per_core,
    }
    return [
        finding(
            ID,
            status,
            rules,
            entity="cpu",
            observed=observed,
            threshold={k: rules[k] for k in ("warn_per_core", "fail_per_core")},
            message=f"5-min load {five} on {ctx.cpu_count} cores ({per_core}/core"
            f"{crossed(status, rules['warn_per_core'], rules['fail_per_core'])})",
            evidence=[clean(caps["loadavg"].stdout.strip(), 120)],
        )
    ]


CHECK = Check(
    id=ID,
    title="CPU load vs usable cores",
    reads="/proc/loadavg, sched_getaffinity",
    sources=(Source("loadavg", "file", path="/proc/loadavg", cap=1024),),
    evaluate=evaluate,
)
