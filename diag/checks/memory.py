"""Memory available (/proc/meminfo) and memory pressure stall (PSI, /proc/pressure/memory)."""

from __future__ import annotations

from collections.abc import Mapping

from diag.checks.base import (
    SEVERITY_OF,
    Check,
    Context,
    Rules,
    Source,
    capture_problem,
    clean,
    graded,
)
from schemas.envelope import Action, Finding, Status
from schemas.payload import Capture

ID_AVAIL = "host.mem_available"
ID_PSI = "host.mem_pressure"


def parse_meminfo(stdout: str) -> dict[str, int]:
    """`MemTotal:  16384 kB` lines → {"MemTotal": 16384} in KiB. Garbage lines are skipped."""
    out: dict[str, int] = {}
    for line in stdout.splitlines():
        key, sep, rest = line.partition(":")
        fields = rest.split()
        if sep and fields and fields[0].isdigit():
            out[key.strip()] = int(fields[0])
    return out


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


def evaluate_available(caps: Mapping[str, Capture], rules: Rules, ctx: Context) -> list[Finding]:
    problem = capture_problem(ID_AVAIL, caps, "meminfo", rules)
    if problem:
        return [problem]
    info = parse_meminfo(caps["meminfo"].stdout)
    if "MemTotal" not in info or "MemAvailable" not in info or info["MemTotal"] <= 0:
        raise ValueError("meminfo lacks MemTotal/MemAvailable (kernel < 3.14 or garbage)")
    pct = round(100.0 * info["MemAvailable"] / info["MemTotal"], 1)
    status = graded(pct, rules["warn_available_pct"], rules["fail_available_pct"], False)
    return [
        Finding(
            check_id=ID_AVAIL,
            status=status,
            severity=SEVERITY_OF[status],
            entity="memory",
            observed={
                "mem_total_kib": info["MemTotal"],
                "mem_available_kib": info["MemAvailable"],
                "available_pct": pct,
            },
            threshold={
                "warn_available_pct": rules["warn_available_pct"],
                "fail_available_pct": rules["fail_available_pct"],
            },
            threshold_source=rules.source,
            message=f"{pct}% of memory available",
            action=Action.NONE if status is Status.PASS else Action.MONITOR,
        )
    ]


def evaluate_pressure(caps: Mapping[str, Capture], rules: Rules, ctx: Context) -> list[Finding]:
    # PSI needs CONFIG_PSI (4.20+) and may be disabled with psi=0: then the file is missing.
    problem = capture_problem(ID_PSI, caps, "psi_memory", rules)
    if problem:
        return [problem]
    psi = parse_psi(caps["psi_memory"].stdout)
    if "some" not in psi:
        raise ValueError("no 'some avg10=' line in /proc/pressure/memory")
    full10 = psi.get("full", {}).get("avg10", 0.0)
    some10 = psi["some"]["avg10"]
    status = max(
        graded(some10, rules["warn_some_avg10_pct"], rules["fail_some_avg10_pct"]),
        graded(full10, rules["warn_full_avg10_pct"], rules["fail_full_avg10_pct"]),
        key=[Status.PASS, Status.WARN, Status.FAIL].index,
    )
    return [
        Finding(
            check_id=ID_PSI,
            status=status,
            severity=SEVERITY_OF[status],
            entity="memory",
            observed={"some_avg10_pct": some10, "full_avg10_pct": full10},
            threshold=dict(rules.thresholds),
            threshold_source=rules.source,
            message=f"memory stall some={some10}% full={full10}% (10 s average)",
            action=Action.NONE if status is Status.PASS else Action.MONITOR,
            evidence=[clean(caps["psi_memory"].stdout.strip(), 200)],
        )
    ]


CHECKS = (
    Check(
        ID_AVAIL,
        "Memory available",
        "/proc/meminfo",
        (Source("meminfo", "file", path="/proc/meminfo", cap=16384),),
        evaluate_available,
    ),
    Check(
        ID_PSI,
        "Memory pressure (PSI)",
        "/proc/pressure/memory",
        (Source("psi_memory", "file", path="/proc/pressure/memory", cap=1024),),
        evaluate_pressure,
    ),
)
