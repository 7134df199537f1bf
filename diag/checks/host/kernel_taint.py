"""Kernel taint flags, from /proc/sys/kernel/tainted (a decimal bit mask)."""

from __future__ import annotations

from collections.abc import Mapping

from diag.checks.base import Check, Context, Rules, Source, capture_problem, finding
from schemas.capture import Capture
from schemas.enums import Action, Status
from schemas.finding import Finding

ID = "host.kernel_taint"

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


def evaluate(caps: Mapping[str, Capture], rules: Rules, ctx: Context) -> list[Finding]:
    problem = capture_problem(ID, caps, "tainted", rules)
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
        finding(
            ID,
            status,
            rules,
            entity="kernel",
            observed={"mask": mask, "flags": "".join(letters)},
            threshold={"warn_flags": "".join(sorted(warn)), "fail_flags": "".join(sorted(fail))},
            message=f"taint mask {mask} ({''.join(letters) or 'untainted'}){note}",
            action=Action.REBOOT if bad_fail else None,
        )
    ]


CHECK = Check(
    ID,
    "Kernel taint",
    "/proc/sys/kernel/tainted",
    (Source("tainted", "file", path="/proc/sys/kernel/tainted", cap=64),),
    evaluate,
)
