"""Stopping a payload started ahead of its run: on the way out, and on SIGTERM before the run
takes over (diag/payload/early.py's child, diag/payload/inproc.py's thread).

Stdlib only: both start before anything else loads.
"""

from __future__ import annotations

import contextlib
import os
import signal

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from types import FrameType


@contextlib.contextmanager
def stopped_at_exit(stop: Callable[[], None]) -> Iterator[None]:
    """`stop()` on the way out of the block, and on SIGTERM inside it, after which the signal
    ends this process as it always did (its default action, re-raised)."""

    def on_term(signum: int, _frame: FrameType | None) -> None:
        stop()
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    old = signal.signal(signal.SIGTERM, on_term)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)
        stop()
