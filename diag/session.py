"""A whole `diagctl health` run: targets through a transport, envelopes out, artifacts kept."""

from __future__ import annotations

import shlex
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import diag
from diag.artifacts import RUN_JSON, write_host, write_summary
from diag.envelope import INTERRUPTED, bound, finalize, interrupted, utc_now
from diag.errors import InventoryError
from diag.exitcodes import DEFAULT_POLICY, Exit, ExitPolicy, exit_code
from diag.hostcheck import HealthOptions, HostRun, check_host, failed_run
from diag.transport.base import CommandResult, Target, Transport
from diag.transport.replay import ReplayTransport
from schemas.envelope import SCHEMA_VERSION, Envelope, ErrorCode, ErrorInfo
from schemas.health import RunSummary

Emit = Callable[[Envelope], None]


@dataclass
class SessionResult:
    envelopes: list[Envelope]
    exit: Exit
    interrupted: bool
    warnings: list[str] = field(default_factory=list)  # for stderr: the run itself is reported


def replay_targets(rt: ReplayTransport, limit: str = "") -> list[Target]:
    """The recorded hosts (name, address, class as recorded), narrowed by an Ansible-style
    `--limit` over their names (globs, `~regex`, `a:b`, `!x`, `@file`; no groups are recorded).
    """
    from diag.fleet.inventory import Inventory
    from diag.fleet.limit import select

    names = rt.hosts()
    if not names:
        raise InventoryError(
            f"--replay {rt.root}: no recorded hosts (DIR/hosts/<host>/envelope.json)"
        )
    if limit:
        inv = Inventory()
        for name in names:
            inv.add(name, None)
        names = select(inv, limit)
    return [rt.target(n) for n in names]


def _interrupted_run(target: Target) -> HostRun:
    res = CommandResult(None, error="transport", message=INTERRUPTED)
    return HostRun(interrupted(finalize(failed_run(target, res, utc_now(), time.monotonic()))), {})


def crashed_run(target: Target, exc: BaseException, started: str, t0: float, cap: int) -> HostRun:
    """The envelope of a host whose pipeline raised (a diagctl bug): `error`, the run goes on.

    The message names the exception class and where it was raised, not its text: that text may
    quote whatever the host sent. No traceback reaches stdout.
    """
    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    at = f" at {where.filename.rsplit('/', 1)[-1]}:{where.lineno}" if where else ""
    res = CommandResult(None, error="transport", message="")
    env = failed_run(target, res, started, t0)
    env.errors = [
        ErrorInfo(
            code=ErrorCode.INTERNAL,
            message=f"diagctl failed on this host: {type(exc).__name__}{at}",
            hint="a bug in diagctl: please report it with --out DIR/hosts/<host>/raw",
        )
    ]
    return HostRun(bound(finalize(env), cap), {})


def _keep(out: Path, target: Target, run: HostRun) -> None:
    """Write the host's artifacts; a failure (disk full) is recorded in its envelope, not raised.

    The directory is named after the target: the envelope's host.name may be cut by the cap.
    """
    try:
        write_host(out, target.name, run.envelope.model_dump_json(), run.raw)
    except (OSError, ValueError) as exc:
        run.envelope.errors.append(
            ErrorInfo(
                code=ErrorCode.ARTIFACT_WRITE_FAILED,
                message=f"--out {out}: {getattr(exc, 'strerror', None) or exc}",
                hint="free space or choose another --out; stdout still has this envelope",
            )
        )


def run_health(
    targets: Sequence[Target],
    transport: Transport,
    opts: HealthOptions,
    emit: Emit,
    out: Path | None = None,
    forks: int = 64,
    exit_policy: ExitPolicy = DEFAULT_POLICY,
    summary: bool = True,
    sink: Callable[[int, Envelope], None] | None = None,
) -> SessionResult:
    """Run health on every target, `emit` each envelope as it finishes, keep `--out` artifacts.

    `sink`, when given, gets each envelope with its target's index instead of `emit` (a
    `--workers` child: a host name cut by the byte cap no longer identifies its target).
    """
    started, t0 = utc_now(), time.monotonic()

    async def job(target: Target) -> HostRun:
        t1, at = utc_now(), time.monotonic()
        try:
            return await check_host(transport, target, opts)
        except Exception as exc:  # one host's bug must not end the run for every other host
            return crashed_run(target, exc, t1, at, opts.max_bytes)

    index = {id(t): i for i, t in enumerate(targets)}

    def on_result(target: Target, run: HostRun) -> None:
        if out is not None:
            _keep(out, target, run)
        if sink is not None:
            sink(index[id(target)], run.envelope)
        else:
            emit(run.envelope)

    async def main() -> tuple[list[HostRun], bool]:
        from diag.fleet.fanout import run_fleet

        try:
            outcome = await run_fleet(targets, job, forks, on_result, _interrupted_run)
        finally:
            await transport.close()
        return outcome.runs, outcome.interrupted

    if len(targets) == 1 and getattr(transport, "blocking", False):
        from diag.fleet.blocking import run_one

        runs, interrupted = run_one(targets[0], transport, job, on_result, _interrupted_run)
    else:
        import asyncio

        runs, interrupted = asyncio.run(main())
    envelopes = [r.envelope for r in runs]
    code = exit_code(envelopes, interrupted, exit_policy)
    warnings: list[str] = []
    if out is not None and summary:  # a --workers child leaves run.json to its parent
        warnings += write_run_summary(out, envelopes, code, interrupted, started, t0)
    return SessionResult(envelopes, code, interrupted, warnings)


def write_run_summary(
    out: Path, envelopes: list[Envelope], code: Exit, interrupted: bool, started: str, t0: float
) -> list[str]:
    """Write DIR/run.json; a failure is returned as a warning (the envelopes are out already)."""
    from diag import redact

    by_status: dict[str, int] = {}
    for env in envelopes:
        by_status[env.status.value] = by_status.get(env.status.value, 0) + 1
    summary = RunSummary(
        schema_version=SCHEMA_VERSION,
        tool_version=diag.__version__,
        # URLs on the command line (--probe-url, --registry) may carry a password.
        command=redact.text(shlex.join(["diagctl", *sys.argv[1:]])),
        started_at=started,
        duration_ms=int((time.monotonic() - t0) * 1000),
        hosts=len(envelopes),
        by_status=by_status,
        exit_code=int(code),
        interrupted=interrupted,
    )
    try:
        write_summary(out, summary.model_dump_json(indent=2).encode() + b"\n")
    except OSError as exc:
        return [f"cannot write {out / RUN_JSON}: {exc.strerror or exc}"]
    return []
