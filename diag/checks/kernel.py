"""Kernel taint flags (/proc/sys/kernel/tainted) and OOM kills this boot (/proc/vmstat)."""

from __future__ import annotations

from collections.abc import Mapping

from diag.checks.base import SEVERITY_OF, Check, Context, Rules, Source, capture_problem, graded
from schemas.envelope import Action, Finding, Status
from schemas.payload import Capture

ID_TAINT = "host.kernel_taint"
ID_OOM = "host.oom_kills"

# Bit → letter, per the kernel's Documentation/admin-guide/tainted-kernels.rst.
TAINT_LETTERS = "PFSRMBUDAWCIOELKXTN"


def parse_taint(stdout: str) -> int:
    value = int(stdout.strip().split()[0])
    if value < 0:
        raise ValueError("negative taint mask")
    return value


def taint_letters(mask: int) -> list[str]:
    return [
        TAINT_LETTERS[b] if b < len(TAINT_LETTERS) else f"bit{b}"
        for b in range(max(mask.bit_length(), 0))
        if mask >> b & 1
    ]


def evaluate_taint(caps: Mapping[str, Capture], rules: Rules, ctx: Context) -> list[Finding]:
    problem = capture_problem(ID_TAINT, caps, "tainted", rules)
    if problem:
        return [problem]
    mask = parse_taint(caps["tainted"].stdout)
    letters = taint_letters(mask)
    fail, warn = set(rules["fail_flags"]), set(rules["warn_flags"])
    bad_fail = [x for x in letters if x in fail]
    bad_warn = [x for x in letters if x in warn]
    status = Status.FAIL if bad_fail else Status.WARN if bad_warn else Status.PASS
    note = "" if status is Status.PASS else f"; flags of concern: {''.join(bad_fail + bad_warn)}"
    return [
        Finding(
            check_id=ID_TAINT,
            status=status,
            severity=SEVERITY_OF[status],
            entity="kernel",
            observed={"mask": mask, "flags": "".join(letters)},
            threshold={"warn_flags": "".join(sorted(warn)), "fail_flags": "".join(sorted(fail))},
            threshold_source=rules.source,
            message=f"taint mask {mask} ({''.join(letters) or 'untainted'}){note}",
            action=Action.REBOOT if bad_fail else Action.MONITOR if bad_warn else Action.NONE,
        )
    ]


def parse_vmstat(stdout: str) -> dict[str, int]:
    out = {}
    for line in stdout.splitlines():
        f = line.split()
        if len(f) == 2 and f[1].lstrip("-").isdigit():
            out[f[0]] = int(f[1])
    return out


def evaluate_oom(caps: Mapping[str, Capture], rules: Rules, ctx: Context) -> list[Finding]:
    problem = capture_problem(ID_OOM, caps, "vmstat", rules)
    if problem:
        return [problem]
    stats = parse_vmstat(caps["vmstat"].stdout)
    if "oom_kill" not in stats:
        # The counter exists since Linux 4.13; without it we cannot tell, so we do not pass.
        raise ValueError("no oom_kill counter in /proc/vmstat (kernel < 4.13 or garbage)")
    kills = stats["oom_kill"]
    status = graded(kills, rules["warn_kills"], rules["fail_kills"])
    return [
        Finding(
            check_id=ID_OOM,
            status=status,
            severity=SEVERITY_OF[status],
            entity="kernel",
            observed={"oom_kills_this_boot": kills},
            threshold=dict(rules.thresholds),
            threshold_source=rules.source,
            message=f"{kills} OOM kill(s) since boot",
            action=Action.NONE if status is Status.PASS else Action.MONITOR,
        )
    ]


CHECKS = (
    Check(
        ID_TAINT,
        "Kernel taint",
        "/proc/sys/kernel/tainted",
        (Source("tainted", "file", path="/proc/sys/kernel/tainted", cap=64),),
        evaluate_taint,
    ),
    Check(
        ID_OOM,
        "OOM kills this boot",
        "/proc/vmstat oom_kill",
        (Source("vmstat", "file", path="/proc/vmstat", cap=65536),),
        evaluate_oom,
    ),
)
