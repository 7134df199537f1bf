"""`diagctl health --local` and `reset-reason --local` start their payload before loading the
checks and models.

The payload is I/O-bound: here it spends ~110 ms waiting on systemctl, journalctl, timedatectl
and /proc while using little CPU. Loading the checks, the policy and pydantic's models takes
longer than that and needs nothing from the payload, so `--local` starts the payload first
(health's from the captures recorded in default_captures.json) and loads while it runs (on a
machine with two or more cores the two overlap). The transport adopts that process only when
its argv and program are byte-identical to what the run then asks for
(diag.transport.local.BlockingLocal); otherwise it is killed and the run starts the right one,
so a stale file costs time, never correctness. A unit test pins the file equal to the check
registry's captures.

This module imports no check, no schema and no pydantic: that is its point.
"""

from __future__ import annotations

import contextlib
import json
import os

from diag.payload import local_argv, local_program, payload_deadline
from diag.payload.guard import stopped_at_exit
from diag.transport.spawn import Started, start, stop

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from collections.abc import Iterator

    from diag.transport.base import Transport

CAPTURES_FILE = os.path.join(os.path.dirname(__file__), "default_captures.json")


def default_program(timeout_s: float) -> bytes | None:
    """The program `health --local` sends when no `--check` narrows it; None without the file."""
    try:
        with open(CAPTURES_FILE, encoding="utf-8") as fh:
            captures = json.load(fh)
    except (OSError, ValueError):
        return None
    return local_program(captures, payload_deadline(timeout_s))


@contextlib.contextmanager
def started_early(program: bytes | None) -> Iterator[Started | None]:
    """`program` running under local_argv() from here on (nothing when None); killed on the
    way out unless a run collected it. SIGTERM before the run takes over kills it too, then
    ends diagctl as the signal always did."""
    early = start(local_argv(), program) if program is not None else None
    if early is None:
        yield None
        return

    with stopped_at_exit(lambda: stop(early)):
        yield early


def hand_over(early: Started | None, transport: Transport) -> None:
    """Give the running payload to the local transport that may adopt it (the context above
    still kills it if no run does)."""
    from diag.transport.local import BlockingLocal

    if early is not None and isinstance(transport, BlockingLocal):
        transport.early = early
