"""The `diagctl` console script: `health --local` and `reset-reason --local` (JSON out),
`version` and the root `--help` are answered before click is imported (diag/fastpath/);
everything else is click's (diag/cli/main.py)."""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from typing import NoReturn


def leave(status: int) -> NoReturn:
    """End a fast path's run: its line flushed, then out without the interpreter's teardown
    (freeing every module and object, ~5 ms of a ~60 ms `reset-reason --local` on the H200),
    which has nothing left to do: the payload is collected or killed, no file is open for
    writing, nothing registered atexit. A flush that fails (a closed pipe) takes the normal
    exit, which reports it as before."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:
        sys.exit(status)
    os._exit(status)


def main() -> None:
    from diag.fastpath.text import answer

    text = answer(sys.argv[1:], os.environ)
    if text is not None:
        sys.stdout.write(text)
        sys.stdout.flush()
        sys.exit(0)
    if sys.argv[1:2] in (["health"], ["reset-reason"]) and "--local" in sys.argv[2:]:
        # A fast path may answer: records without `dataclasses` from here on (the first import
        # of `dataclasses`, pydantic's on click's path included, makes them real again).
        from schemas.record import cheap_records

        cheap_records()
    from diag.fastpath.argv import wanted

    fast = wanted() if sys.argv[1:2] == ["health"] else None
    if fast is not None:
        from diag.fastpath.run import main as run_local

        leave(run_local(fast))
    if sys.argv[1:2] == ["reset-reason"]:
        from diag.fastpath.reset_argv import parse

        reset = parse(sys.argv[1:], os.environ, sys.stdout.isatty())
        if reset is not None:
            from diag.fastpath.reset import main as run_reset

            leave(run_reset(reset))
    from diag.cli.main import main as click_main

    click_main()
