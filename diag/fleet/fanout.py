"""Running one job over many targets: bounded concurrency, streamed results, Ctrl-C safe.

Generic over the job's result type `R`: health runs a `HostRun` per host; any other tool that
talks to many targets (restarts, bundles) passes its own job and result type.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from diag.transport.base import Target

R = TypeVar("R")


@dataclass
class FleetOutcome(Generic[R]):
    runs: list[R]
    interrupted: bool
    duration_ms: int


async def run_fleet(
    targets: Sequence[Target],
    job: Callable[[Target], Awaitable[R]],
    forks: int,
    on_result: Callable[[Target, R], None],
    on_interrupted: Callable[[Target], R],
) -> FleetOutcome[R]:
    """Run `job` on every target, at most `forks` at once, calling `on_result` as each finishes.

    SIGINT/SIGTERM cancel what is still running; each unfinished host then gets the envelope
    `on_interrupted` builds, so every host is accounted for.
    """
    t0 = time.monotonic()
    sem = asyncio.Semaphore(max(1, forks))
    runs: list[R] = []
    done: set[int] = set()

    async def one(i: int, target: Target) -> None:
        async with sem:
            run = await job(target)
        done.add(i)
        runs.append(run)
        on_result(target, run)

    loop = asyncio.get_running_loop()
    tasks = [asyncio.ensure_future(one(i, t)) for i, t in enumerate(targets)]
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    waiter: asyncio.Future[Any] = asyncio.ensure_future(stop.wait())
    try:
        gathered: asyncio.Future[Any] = asyncio.gather(*tasks)
        await asyncio.wait([gathered, waiter], return_when=asyncio.FIRST_COMPLETED)
        interrupted = stop.is_set() and not gathered.done()
        if interrupted:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if gathered.done() and not gathered.cancelled():
                gathered.exception()  # retrieved, so asyncio logs no "never retrieved" noise
            for i, target in enumerate(targets):
                if i not in done:
                    run = on_interrupted(target)
                    runs.append(run)
                    on_result(target, run)
        else:
            gathered.result()  # re-raise a bug in a job instead of hiding it
    finally:
        waiter.cancel()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
    return FleetOutcome(runs, interrupted, int((time.monotonic() - t0) * 1000))
