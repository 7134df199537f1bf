"""Memory pressure stall information (PSI), from /proc/pressure/memory.

Two lines, per kernel Documentation/accounting/psi.rst:
  some avg10=0.00 avg60=0.00 avg300=0.00 total=0
  full avg10=0.00 avg60=0.00 avg300=0.00 total=0
"some": at least one task stalled on memory; "full": every non-idle task stalled at once.
Kernels before 5.13 may lack the "full" line for memory; it then counts as 0.
"""

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
)
from schemas.capture import Capture
from schemas.enums import worst
from schemas.finding import Finding

ID = "host.mem_pressure"


def parse_psi(stdout: str) -> dict[str, dict[str, float]]:
    """`some avg10=0.00 avg60=0.00 avg300=0.00 total=0` → {"some": {"avg10": 0.0, ...}}."""
    out: dict[str, dict[str, float]] = {}
    for line in stdout.splitlines():
        kind, *pairs = line.split()
        vals = {}
        for pair in pairs:
            k, sep, v = pair.partition("=")
            if sep:
                vals[k] = float(v)
        if kind in ("some", "full") and "avg10" in vals:
            out[kind] = vals
    return out


def evaluate(caps: Mapping[str, Capture], rules: Rules, ctx: Context) -> list[Finding]:
    # PSI needs CONFIG_PSI (4.20+) and may be disabled with psi=0: then the file is missing.
    problem = capture_problem(ID, caps, "psi_memory", rules)
    if problem:
        return [problem]
    psi = parse_psi(caps["psi_memory"].stdout)
    if "some" not in psi:
        raise ValueError("no 'some avg10=' line in /proc/pressure/memory")
    full10 = psi.get("full", {}).get("avg10", 0.0)
    some10 = psi["some"]["avg10"]
    some_th = (rules["warn_some_avg10_pct"], rules["fail_some_avg10_pct"])
    full_th = (rules["warn_full_avg10_pct"], rules["fail_full_avg10_pct"])
    some_s, full_s = graded(some10, *some_th), graded(full10, *full_th)
    status = worst((some_s, full_s))
    return [
        finding(
            ID,
            status,
            rules,
            entity="memory",
            observed={"some_avg10_pct": some10, "full_avg10_pct": full10},
            message=f"memory stall some={some10}%{crossed(some_s, *some_th, '%')}, "
            f"full={full10}%{crossed(full_s, *full_th, '%')} (10 s average)",
            evidence=[clean(caps["psi_memory"].stdout.strip(), 200)],
        )
    ]


CHECK = Check(
    ID,
    "Memory pressure (PSI)",
    "/proc/pressure/memory",
    (Source("psi_memory", "file", path="/proc/pressure/memory", cap=1024),),
    evaluate,
)
