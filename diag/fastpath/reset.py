"""`reset-reason --local` without click or pydantic: payload first, judge, one line, exit status.

The same run as diag/cli/reset.py for these options (diag/fastpath/reset_argv.py), with the
same Ctrl-C/SIGTERM guarantees (diag/fleet/blocking.py). The collector runs in this process
(diag/payload/inproc.py: no second interpreter) and starts before anything else loads: this
module imports only what starting it needs; the judging (diag/fastpath/reset_judge.py) loads
while it runs. An envelope the fast path cannot reproduce exactly is judged by the model path
from the output already collected (never a second payload run).
"""

from __future__ import annotations

import sys

from diag.payload import local_argv, local_path, payload_deadline
from diag.payload.inproc import running
from diag.reset.sources import INTENTS_PATH, payload_spec

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from diag.fastpath.reset_argv import LocalReset
    from diag.fastpath.run import Line
    from diag.transport.base import Target


def main(opts: LocalReset) -> int:
    """One host, one line on stdout; returns the exit status."""
    spec = payload_spec(opts.since_s, payload_deadline(opts.timeout), INTENTS_PATH)
    with running(local_path("reset_collector.py"), spec) as payload:
        import time

        from diag.exitcodes import ExitPolicy, exit_for
        from diag.fastpath import reset_judge as fast
        from diag.fastpath.doc import utc_now
        from diag.fleet.blocking import run_one
        from diag.payload.inproc import InProcessLocal
        from diag.transport.base import Target
        from diag.transport.local import local_name

        target = Target(name=local_name())
        transport = InProcessLocal(payload)

        async def job(target: Target) -> Line:
            started, t0 = utc_now(), time.monotonic()
            res = await transport.run(target, local_argv(), b"", opts.timeout)
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
