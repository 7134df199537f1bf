"""Exit codes: one table, one pure function of the envelopes (docs/envelope.md, "Exit codes").

`diagctl health --local || drain` must not drain a host over a warning (an undisciplined clock,
a disk at 81%): by default only a failing finding makes the exit status non-zero. A scheduler
that wants warnings too asks for them with `--fail-on warn`, and then still tells them apart
from failures (6, not 3).

Imports nothing heavy, so `diagctl --help` does not pay for pydantic.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum, IntEnum
from typing import TYPE_CHECKING

from schemas.record import record

if TYPE_CHECKING:
    from schemas.envelope import Envelope


class Exit(IntEnum):
    OK = 0  # every host collected; findings pass / not_applicable / unknown (w/o --strict) / warn
    INTERNAL = 1  # a check crashed, a payload failed, or diagctl hit a bug
    USAGE = 2  # bad options, bad policy or inventory file
    FINDINGS = 3  # some finding failed (or is unknown, with --strict)
    UNREACHABLE = 4  # some host could not be collected from (network, auth, host key, timeout)
    BREAKER = 5  # probe run: the blast-radius breaker tripped; cordons were withheld
    WARNINGS = 6  # some finding is warn, none failed, and warnings count (--fail-on warn)
    INTERRUPTED = 130  # Ctrl-C / SIGTERM


class FailOn(str, Enum):
    """The mildest finding status that makes the exit status non-zero."""

    WARN = "warn"
    FAIL = "fail"


@record(frozen=True)
class ExitPolicy:
    """What counts against a run: `strict` makes `unknown` a failure; `fail_on` sets warn's fate."""

    strict: bool = False
    fail_on: FailOn = FailOn.FAIL


DEFAULT_POLICY = ExitPolicy()


def exit_for(statuses: Iterable[str], policy: ExitPolicy, interrupted: bool = False) -> Exit:
    """The table. The most urgent outcome wins: 130 > 4 > 1 > 3 > 6 > 0.

    `statuses` are status values (`"pass"`, `"warn"`, ...); `not_applicable` counts as pass.
    """
    if interrupted:
        return Exit.INTERRUPTED
    seen = set(statuses)
    if "unreachable" in seen:
        return Exit.UNREACHABLE
    if "error" in seen:
        return Exit.INTERNAL
    if "fail" in seen or (policy.strict and "unknown" in seen):
        return Exit.FINDINGS
    if "warn" in seen and policy.fail_on is FailOn.WARN:
        return Exit.WARNINGS
    return Exit.OK


def statuses_of(envelopes: Iterable[Envelope]) -> set[str]:
    """Each host's status, plus `unknown` where any finding was unknown.

    A host's status is its worst finding, and a warn outranks an unknown: without the summary
    count, `--strict` would miss an unknown finding on a host that also warns. The summary is
    counted before the byte cap drops findings, so a cut never hides one.
    """
    seen: set[str] = set()
    for env in envelopes:
        seen.add(env.status.value)
        if env.summary.unknown:
            seen.add("unknown")
    return seen


def exit_code(
    envelopes: Iterable[Envelope], interrupted: bool = False, policy: ExitPolicy = DEFAULT_POLICY
) -> Exit:
    """`diagctl health` (and every tool that emits findings): the table over the envelopes."""
    return exit_for(statuses_of(envelopes), policy, interrupted)


# A probe round has no --fail-on: a slow endpoint (warn) is what it watches for, so it counts,
# as 6, apart from a zombie (fail, 3).
PROBE_POLICY = ExitPolicy(strict=False, fail_on=FailOn.WARN)


def probe_exit_code(
    envelopes: Iterable[Envelope],
    breaker_tripped: bool,
    action_failed: bool,
    interrupted: bool = False,
) -> Exit:
    """`diagctl probe run`: interrupted > breaker (5) > a failed action (1) > the table over the
    verdicts: down → 4 (unreachable), zombie → 3, slow → 6, all healthy → 0."""
    if interrupted:
        return Exit.INTERRUPTED
    if breaker_tripped:
        return Exit.BREAKER
    if action_failed:
        return Exit.INTERNAL
    return exit_code(envelopes, policy=PROBE_POLICY)


def acted_exit_code(table: Exit, breaker_tripped: bool, action_failed: bool) -> Exit:
    """`diagctl health --act` (and --slurm-hcp): the health table's status, except that a
    tripped breaker is 5 and a failed drain/release is 1, as for probes; an interrupted run
    (130) has acted on nothing and keeps its status."""
    if table is Exit.INTERRUPTED:
        return table
    if breaker_tripped:
        return Exit.BREAKER
    if action_failed:
        return Exit.INTERNAL
    return table
