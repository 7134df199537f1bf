"""One host through a blocking transport (`--local`), without an event loop.

What diag.fleet.fanout.run_fleet does for a fleet, for the one local host: Ctrl-C and SIGTERM
leave that host's `interrupted` envelope, and the transport is closed, with no asyncio import
(~60 ms here) and no loop set-up. The transport's coroutines never suspend (`blocking = True`),
so a coroutine is driven by sending it one `None`.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar, cast

from diag.transport.base import Target, Transport

R = TypeVar("R")
RunT = TypeVar("RunT")


class _Stopped(BaseException):
    """SIGTERM while the one blocking host runs (Ctrl-C arrives as KeyboardInterrupt)."""


def drive(coro: Coroutine[Any, Any, R]) -> R:
    """Run a coroutine that never suspends (a blocking transport's) without an event loop."""
    try:
        coro.send(None)
    except StopIteration as done:
        return cast(R, done.value)
    coro.close()
    raise RuntimeError("a blocking transport suspended: it needs an event loop")


def run_one(
    target: Target,
    transport: Transport,
    job: Callable[[Target], Coroutine[Any, Any, RunT]],
    on_result: Callable[[Target, RunT], None],
    interrupted: Callable[[Target], RunT],
) -> tuple[list[RunT], bool]:
    """`job(target)` to completion, or `interrupted(target)` on Ctrl-C / SIGTERM; the
    transport is closed either way and the previous SIGTERM handler given back."""

    def stop(_signum: int, _frame: object) -> None:
        raise _Stopped

    old = signal.signal(signal.SIGTERM, stop)
    try:
        run, was_interrupted = drive(job(target)), False
    except (KeyboardInterrupt, _Stopped):
        run, was_interrupted = interrupted(target), True
    finally:
        signal.signal(signal.SIGTERM, old)
        drive(transport.close())
    on_result(target, run)
    return [run], was_interrupted
