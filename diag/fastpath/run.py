"""Run `health --local` on the fast path: payload first, judge, one line out, exit status.

The same run as diag/cli/health.py for these options (diag/fastpath/argv.py), with the same
Ctrl-C/SIGTERM and early-payload guarantees (diag/fleet/blocking.py, diag/payload/early.py);
an envelope the fast path cannot reproduce exactly is judged by the model path from the output
already collected (never a second payload run).
"""

from __future__ import annotations

import sys

from diag.payload.early import default_program, started_early

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from diag.fastpath.argv import LocalHealth
    from diag.transport.base import CommandResult, Target

# Nothing else at the top: the payload starts before the checks, the transport and the exit
# policy load (they load while it runs), so that its ~50 ms overlap them.

Line = tuple[bytes, set[str]]  # the envelope's JSON and the statuses the exit code counts


class Collected:
    """A blocking transport that hands the model path the output the fast path collected."""

    name = "local"
    blocking = True

    def __init__(self, res: CommandResult, t0: float) -> None:
        self.res, self.adopted_t0 = res, t0

    async def run(self, *_args: object) -> CommandResult:
        return self.res

    async def close(self) -> None:
        return None


def model_line(
    target: Target, res: CommandResult, opts: LocalHealth, started: str, t0: float
) -> Line:
    """The model path's envelope for output already collected (diag.hostcheck.check_host)."""
    from diag.exitcodes import statuses_of
    from diag.fleet.blocking import drive
    from diag.health import options_for
    from diag.hostcheck import check_host
    from diag.session import crashed_run

    model_opts = options_for(None, (), opts.timeout, opts.max_bytes, "", opts.expect_gpus)
    try:
        run = drive(check_host(Collected(res, t0), target, model_opts))
    except Exception as exc:  # as diag.session.run_health: a bug is this host's `error`
        run = crashed_run(target, exc, started, t0, opts.max_bytes)
    return run.envelope.model_dump_json().encode(), statuses_of([run.envelope])


def interrupted_line(target: Target) -> Line:
    from diag.session import _interrupted_run

    env = _interrupted_run(target).envelope
    return env.model_dump_json().encode(), {env.status.value}


def main(opts: LocalHealth) -> int:
    """One host, one line on stdout; returns the exit status."""
    program = default_program(opts.timeout)
    with started_early(program) as early:
        # The checks load while the payload runs (it is I/O- and NVML-bound).
        import time

        from diag.checks import REGISTRY, sources_for
        from diag.exitcodes import ExitPolicy, FailOn, exit_for
        from diag.fastpath import health as fast
        from diag.fastpath.doc import utc_now
        from diag.fleet.blocking import run_one
        from diag.payload import build_local, local_argv, payload_deadline
        from diag.transport.base import Target
        from diag.transport.local import BlockingLocal, local_name

        target = Target(name=local_name())
        transport = BlockingLocal(early)

        async def job(target: Target) -> Line:
            started, t0 = utc_now(), time.monotonic()
            stdin = build_local(
                sources_for(list(REGISTRY.values())), payload_deadline(opts.timeout)
            )
            res = await transport.run(target, local_argv(), stdin, opts.timeout)
            t0 = min(t0, transport.adopted_t0 or t0)
            try:
                line, status, unknown = fast.envelope(target, res, opts, started, t0)
            except (fast.Unusual, ValueError, RecursionError):
                return model_line(target, res, opts, started, t0)
            return line, {status} | ({"unknown"} if unknown else set())

        out: list[Line] = []
        _, interrupted = run_one(
            target, transport, job, lambda _t, line: out.append(line), interrupted_line
        )
    line, statuses = out[0]
    sys.stdout.buffer.write(line + b"\n")
    sys.stdout.flush()
    policy = ExitPolicy(opts.strict, FailOn(opts.fail_on))
    return int(exit_for(statuses, policy, interrupted))
