"""`diagctl lifecycle maintain` as a library: per host, in waves of at most N in flight —
cordon through a probe backend (audited), pre-check (L1), leave a reboot intent on the host when
the command reboots it, run the command, wait for the new boot id, post-check, diff, and
uncordon only on a passing post-check. A failing command, a host that does not return or a
failing post-check stops the run after its wave: the host stays cordoned and an incident is
opened in the registry. Without `act` every step is planned, nothing is touched.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import diag
from diag.envelope import finalize, utc_now
from diag.exitcodes import Exit, exit_code
from diag.hostcheck import check_host
from diag.transport.base import Target
from lifecycle import maintenance as mt
from lifecycle import remote
from lifecycle.maintain_args import Context
from lifecycle.maintain_steps import Ledger, step_of
from schemas.envelope import Envelope, Finding, HostRef, Status
from schemas.lifecycle_maintain import MaintainData, MaintainEnvelope
from schemas.reset import RebootIntent

Emit = Callable[[Envelope], None]
STEPS = (
    "cordon",
    "precheck",
    "reboot_intent",
    "command",
    "return",
    "postcheck",
    "diff",
    "uncordon",
)


def _envelope(t: Target, data: MaintainData, started: str) -> MaintainEnvelope:
    status = {"passed": Status.PASS, "planned": Status.PASS, "failed": Status.FAIL}.get(
        data.outcome, Status.UNKNOWN
    )
    failed = [s for s in data.steps if s.result == "failed"]
    msg = f"{failed[0].step} failed: {failed[0].message}" if failed else data.outcome
    f = Finding(check_id="lifecycle.maintain", status=status, entity=data.command, message=msg)
    changed = [
        Finding(
            check_id=c.check_id,
            status=Status.WARN if c.after in ("pass", "not_applicable") else Status.FAIL,
            entity=c.entity,
            message=f"{c.before} before, {c.after} after",
        )
        for c in data.changes
    ]
    env = MaintainEnvelope(
        kind="lifecycle.maintain",
        tool_version=diag.__version__,
        host=HostRef(name=t.name, address=t.address),
        ok=status is Status.PASS,
        status=status,
        findings=[f, *changed],
        collected_at=started,
        duration_ms=0,
        data=data,
    )
    return finalize(env)  # type: ignore[return-value]


def planned(t: Target, ctx: Context, wave: int) -> MaintainEnvelope:
    a = ctx.args
    data = MaintainData(
        command=a.shown_command, reboots=a.reboots, wave=wave, node=ctx.nodes[t.name]
    )
    for step in STEPS:
        if step != "reboot_intent" or a.reboots:
            data.steps.append(step_of(step, "planned"))
        if step == "postcheck" and ctx.probe is not None:
            data.steps.append(step_of("probe", "planned"))
    return _envelope(t, data, utc_now())


def not_started(t: Target, ctx: Context, wave: int, why: str) -> MaintainEnvelope:
    data = MaintainData(
        command=ctx.args.shown_command, reboots=ctx.args.reboots, wave=wave, node=ctx.nodes[t.name]
    )
    data.outcome = "not_started"
    data.steps.append(step_of("cordon", "skipped", why))
    return _envelope(t, data, utc_now())


async def _health(ctx: Context, t: Target) -> Envelope:
    return (await check_host(ctx.transport, t, ctx.health)).envelope


async def one_host(t: Target, ctx: Context, wave: int) -> MaintainEnvelope:
    """Every step for one host; stops at the first that fails (the host stays cordoned)."""
    a, started = ctx.args, utc_now()
    lg = Ledger(t, ctx, wave)
    if not lg.cordon():
        return _envelope(t, lg.finish("failed"), started)
    pre = await _health(ctx, t)
    lg.check("precheck", pre, gate=False)
    if pre.status is Status.UNREACHABLE:
        return _envelope(t, await lg.fail("precheck", "host unreachable"), started)
    before, why = await remote.boot_id(ctx.transport, t, 30.0)
    lg.data.boot_id_before = before
    if a.reboots:
        intent = RebootIntent(at=utc_now(), action="reboot", boot_id=before or "unknown",
                              requested_by=f"diagctl lifecycle maintain ({lg.who})",
                              reason=a.reason[:200])  # fmt: skip
        problem = why or await remote.leave_intent(ctx.transport, t, intent, 30.0)
        if problem:
            return _envelope(t, await lg.fail("reboot_intent", problem), started)
        lg.ok("reboot_intent", f"boot {before}")
    res = await ctx.transport.run(t, ("sh", "-c", a.command), b"", a.command_timeout_s)
    if not lg.command(res):
        return _envelope(t, await lg.fail("command", lg.command_why(res)), started)
    if a.reboots:
        after, why = await remote.wait_return(
            ctx.transport, t, before, a.return_timeout_s, a.poll_s
        )
        if not after:
            return _envelope(t, await lg.fail("return", why), started)
        lg.data.boot_id_after = after
        lg.ok("return", f"boot {after}")
    post = await _health(ctx, t)
    good = lg.check("postcheck", post, gate=True)
    lg.data.changes = mt.diff(pre, post)
    lg.ok("diff", f"{len(lg.data.changes)} finding(s) changed")
    if not good:
        return _envelope(t, await lg.fail("postcheck", "post-check did not pass"), started)
    if ctx.probe is not None and not await lg.probe(ctx.probe):
        return _envelope(t, await lg.fail("probe", lg.data.steps[-1].message), started)
    return _envelope(t, lg.passed(), started)


async def _wave(hosts: list[Target], ctx: Context, wave: int) -> list[MaintainEnvelope]:
    try:
        return list(await asyncio.gather(*(one_host(t, ctx, wave) for t in hosts)))
    finally:
        await ctx.transport.close()


def _admit(wave: list[Target], ctx: Context) -> str:
    """The breaker's word on this wave's drains: "" or why the run stops (audited)."""
    if ctx.breaker is None:
        return ""
    from lifecycle.breaker import tripped_message
    from lifecycle.maintain_steps import breaker_audit

    g = ctx.breaker.admit([ctx.nodes[t.name] for t in wave])
    if not g.tripped:
        return ""
    breaker_audit(ctx, g)
    return tripped_message(g)


def run(targets: list[Target], ctx: Context, emit: Emit) -> Exit:
    """Every wave in order; after a wave with a failure, the rest are not started. A wave the
    blast-radius breaker refuses is not started either, and the run exits 5."""
    results: list[Envelope] = []
    stop, tripped = "", False
    for i, wave in enumerate(mt.waves(targets, ctx.args.max_in_flight)):
        if ctx.args.act and not stop:
            stop = mt.window_problem(ctx.args.window, ctx.clock())
        if ctx.args.act and not stop:
            stop = _admit(wave, ctx)
            tripped = bool(stop)
        if not ctx.args.act:
            envs = [planned(t, ctx, i) for t in wave]
        elif stop:
            envs = [not_started(t, ctx, i, stop) for t in wave]
        else:
            envs = asyncio.run(_wave(wave, ctx, i))
            bad = [e.host.name for e in envs if e.data.outcome == "failed"]
            stop = f"wave {i} failed on {', '.join(bad)}" if bad else ""
        for e in envs:
            results.append(e)
            emit(e)
    return Exit.BREAKER if tripped else exit_code(results, policy=ctx.args.exits)
