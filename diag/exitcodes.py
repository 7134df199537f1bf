"""Exit codes: one pure function of the envelopes (docs/envelope.md, "Exit codes"; the probe's own
codes: docs/probes.md, "Exit codes").

Imports nothing heavy, so `diagctl --help` does not pay for pydantic.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from schemas.envelope import Envelope


class Exit(IntEnum):
    OK = 0  # every host collected, every finding pass or not_applicable (or unknown w/o --strict)
    INTERNAL = 1  # a check crashed, a payload failed, or diagctl hit a bug
    USAGE = 2  # bad options, bad policy or inventory file
    FINDINGS = 3  # some finding is warn or fail
    UNREACHABLE = 4  # some host could not be collected from (network, auth, host key, timeout)
    BREAKER = 5  # probe run: the blast-radius breaker tripped; cordons were withheld
    INTERRUPTED = 130  # Ctrl-C / SIGTERM


def exit_code(
    envelopes: Iterable[Envelope], interrupted: bool = False, strict: bool = False
) -> Exit:
    """The most urgent outcome wins: interrupted > unreachable > internal > findings > ok."""
    if interrupted:
        return Exit.INTERRUPTED
    statuses = {e.status.value for e in envelopes}
    if "unreachable" in statuses:
        return Exit.UNREACHABLE
    if "error" in statuses:
        return Exit.INTERNAL
    bad = {"warn", "fail"} | ({"unknown"} if strict else set())
    return Exit.FINDINGS if statuses & bad else Exit.OK


def probe_exit_code(
    envelopes: Iterable[Envelope],
    breaker_tripped: bool,
    action_failed: bool,
    interrupted: bool = False,
) -> Exit:
    """`diagctl probe run`: interrupted > breaker (5) > a failed action (1) > the verdicts:
    down → 4 (unreachable), zombie or slow → 3, all healthy → 0."""
    if interrupted:
        return Exit.INTERRUPTED
    if breaker_tripped:
        return Exit.BREAKER
    if action_failed:
        return Exit.INTERNAL
    return exit_code(envelopes)
