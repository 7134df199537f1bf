"""Several worker processes for a large fleet on a multi-core jump host (`--workers N`).

One asyncio loop saturates one core at a few hundred hosts per second (bench/fanout.py), so a
big sweep splits the targets round-robin over N forked workers. Each worker runs the ordinary
single-process session over its shard (writing its hosts' --out artifacts itself) and streams
each envelope as one JSON line through a pipe. The transport object is created before the fork
but holds no socket, thread or loop until it runs, so each worker gets a fresh one. The parent
prints envelopes in completion order, forwards Ctrl-C/SIGTERM to the workers, accounts for
every host (a worker that dies leaves `transport` envelopes), and writes DIR/run.json.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import time
from collections.abc import Sequence
from pathlib import Path

from diag.envelope import bound, finalize, utc_now
from diag.exitcodes import DEFAULT_POLICY, ExitPolicy, exit_code
from diag.hostcheck import HealthOptions, failed_run
from diag.session import Emit, SessionResult, run_health, write_run_summary
from diag.transport.base import CommandResult, Target, Transport
from schemas.envelope import Envelope

HOSTS_PER_WORKER = 256  # below this a second process costs more than it saves


def auto_workers(hosts: int, cpus: int | None = None) -> int:
    """One worker per core, but only when each gets at least HOSTS_PER_WORKER hosts."""
    cpus = cpus or len(os.sched_getaffinity(0))
    return max(1, min(cpus, hosts // HOSTS_PER_WORKER))


def _child(
    shard: Sequence[Target],
    transport: Transport,
    opts: HealthOptions,
    out: Path | None,
    forks: int,
    wfd: int,
) -> None:
    """Runs in the forked worker; never returns."""
    code = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        with os.fdopen(wfd, "w", buffering=1) as pipe:

            def sink(i: int, env: Envelope) -> None:
                pipe.write(f"{i} {env.model_dump_json()}\n")

            res = run_health(
                shard, transport, opts, lambda _env: None, out, forks, summary=False, sink=sink
            )
            code = 130 if res.interrupted else 0
    finally:
        os._exit(code)


def run_health_workers(
    targets: Sequence[Target],
    transport: Transport,
    opts: HealthOptions,
    emit: Emit,
    out: Path | None,
    forks: int,
    workers: int,
    exit_policy: ExitPolicy = DEFAULT_POLICY,
) -> SessionResult:
    started, t0 = utc_now(), time.monotonic()
    shards = [list(targets[i::workers]) for i in range(workers)]
    per_worker = max(1, forks // workers)
    kids: dict[int, int] = {}  # read fd -> pid
    shard_of: dict[int, int] = {}  # read fd -> shard number
    for k, shard in enumerate(shards):
        rfd, wfd = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(rfd)
            _child(shard, transport, opts, out, per_worker, wfd)
        os.close(wfd)
        kids[rfd], shard_of[rfd] = pid, k
    interrupted = [False]

    def forward(signum: int, _frame: object) -> None:
        interrupted[0] = True
        for pid in kids.values():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)

    old = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        got = _collect(shard_of, emit, workers)
        statuses = [os.waitpid(pid, 0)[1] for pid in kids.values()]
    finally:
        for s, h in old.items():
            signal.signal(s, h)
    interrupted[0] |= any(os.waitstatus_to_exitcode(st) == 130 for st in statuses)
    envelopes = list(got.values()) + _missing(targets, got, emit, opts.max_bytes)
    code = exit_code(envelopes, interrupted[0], exit_policy)
    warnings = (
        [] if out is None else write_run_summary(out, envelopes, code, interrupted[0], started, t0)
    )
    return SessionResult(envelopes, code, interrupted[0], warnings)


def _collect(shard_of: dict[int, int], emit: Emit, workers: int) -> dict[int, Envelope]:
    """Read `<index> <envelope JSON>` lines from every worker until all pipes close.

    Returns target index -> envelope. A line that does not parse (a worker killed mid-write)
    is skipped: its host is then accounted for by `_missing`.
    """
    sel = selectors.DefaultSelector()
    bufs: dict[int, bytes] = {}
    for fd in shard_of:
        sel.register(fd, selectors.EVENT_READ)
        bufs[fd] = b""
    got: dict[int, Envelope] = {}
    while sel.get_map():
        for key, _ in sel.select():
            fd = int(key.fd)
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                sel.unregister(fd)
                os.close(fd)
                continue
            *lines, bufs[fd] = (bufs[fd] + chunk).split(b"\n")
            for line in lines:
                try:
                    idx, _, doc = line.partition(b" ")
                    env = Envelope.model_validate_json(doc)
                    target = shard_of[fd] + int(idx) * workers  # shards are targets[k::workers]
                except ValueError:
                    continue
                got[target] = env
                emit(env)
    sel.close()
    return got


def _missing(
    targets: Sequence[Target], got: dict[int, Envelope], emit: Emit, cap: int
) -> list[Envelope]:
    """An envelope for every host a worker died before reporting: nothing goes unaccounted."""
    extra: list[Envelope] = []
    for i, t in enumerate(targets):
        if i not in got:
            res = CommandResult(None, error="transport", message="worker process died first")
            env = finalize(failed_run(t, res, utc_now(), time.monotonic()))
            extra.append(bound(env, cap))
            emit(extra[-1])
    return extra
