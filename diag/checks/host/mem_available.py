"""Memory available, from MemAvailable in /proc/meminfo (kernel 3.14+, proc(5))."""

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

ID = "host.mem_available"


def parse_meminfo(stdout: str) -> dict[str, int]:
    """`MemTotal:  16384 kB` lines → {"MemTotal": 16384} in KiB. Garbage lines are skipped."""
    out: dict[str, int] = {}
    for line in stdout.splitlines():
        key, sep, rest = line.partition(":")
        fields = rest.split()
        if sep and fields and fields[0].isdigit():
            out[key.strip()] = int(fields[0])
    return out


def evaluate(caps: Mapping[str, Capture], rules: Rules, ctx: Context) -> list[Finding]:
    problem = capture_problem(ID, caps, "meminfo", rules)
    if problem:
        return [problem]
    info = parse_meminfo(caps["meminfo"].stdout)
    if "MemTotal" not in info or "MemAvailable" not in info or info["MemTotal"] <= 0:
        raise ValueError("meminfo lacks MemTotal/MemAvailable (kernel < 3.14 or garbage)")
    pct = round(100.0 * info["MemAvailable"] / info["MemTotal"], 1)
    status = graded(pct, rules["warn_available_pct"], rules["fail_available_pct"], False)
    observed = {
        "mem_total_kib": info["MemTotal"],
        "mem_available_kib": info["MemAvailable"],
        "available_pct": pct,
    }
    return [
        finding(
            ID,
            status,
            rules,
            entity="memory",
            observed=observed,
            threshold={k: rules[k] for k in ("warn_available_pct", "fail_available_pct")},
            message=f"{pct}% of memory available"
            + crossed(status, rules["warn_available_pct"], rules["fail_available_pct"], "%", False),
        )
    ]


CHECK = Check(
    ID,
    "Memory available",
    "/proc/meminfo",
    (Source("meminfo", "file", path="/proc/meminfo", cap=16384),),
    evaluate,
)
