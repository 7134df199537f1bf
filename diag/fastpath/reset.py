"""`reset-reason --local` without click or pydantic: payload first, judge, one line, exit status.

The same run as diag/cli/reset.py for these options (diag/fastpath/reset_argv.py), with the
same Ctrl-C/SIGTERM and early-payload guarantees (diag/fleet/blocking.py,
diag/payload/early.py). The payload starts before anything else loads: this module imports
only what starting it needs; the judging (diag/fastpath/reset_judge.py) loads while it runs.
An envelope the fast path cannot reproduce exactly is judged by the model path from the output
already collected (never a second payload run).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from diag.payload import local_argv, payload_deadline
from diag.payload.early import started_early
from diag.reset.sources import build_local

if TYPE_CHECKING:
    from diag.fastpath.reset_argv import LocalReset
    from diag.fastpath.run import Line
    from diag.transport.base import Target


def main(opts: LocalReset) -> int:
    """One host, one line on stdout; returns the exit status."""
    deadline = payload_deadline(opts.timeout)
    with started_early(build_local(opts.since_s, deadline)) as early:
        import time

        from diag.exitcodes import ExitPolicy, exit_for
        from diag.fastpath import reset_judge as fast
        from diag.fastpath.run import utc_now
        from diag.fleet.blocking import run_one
        from diag.transport.base import Target
        from diag.transport.local import BlockingLocal, local_name

        target = Target(name=local_name())
        transport = BlockingLocal(early)

        async def job(target: Target) -> Line:
            started, t0 = utc_now(), time.monotonic()
            stdin = build_local(opts.since_s, deadline)
            res = await transport.run(target, local_argv(), stdin, opts.timeout)
            t0 = min(t0, transport.adopted_t0 or t0)
            try:
                line, status, unknown = fast.envelope(target, res, opts, started, t0)
            except Exception:  # Unusual, or a crash the model path turns into an envelope
                return fast.model_line(target, res, opts, t0)
            return line, {status} | ({"unknown"} if unknown else set())

        out: list[Line] = []
        _, interrupted = run_one(
            target, transport, job, lambda _t, line: out.append(line), fast.interrupted_line
        )
    line, statuses = out[0]
    sys.stdout.buffer.write(line + b"\n")
    sys.stdout.flush()
    return int(exit_for(statuses, ExitPolicy(opts.strict), interrupted))
