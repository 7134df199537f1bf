"""One step of `diagctl lifecycle maintain` for one host (`--step`): the controller-side steps
an outside scheduler (playbooks/maintain.yml, AWX) calls between the host-side steps it runs
itself. Each is the code a whole `maintain` run uses (lifecycle.maintain_steps.Ledger), so the
registry history, audit records and incidents are the same:

  drain      window + blast-radius breaker, move to maintain, cordon (audited)
  precheck   L1 recorded as `maintain_precheck`; its envelope kept in --snapshot for the diff
  intent     the reboot-intents file with one more record (existing file on stdin, --boot-id)
  command    the host-side command's exit status (--rc): recorded, or failed -> incident
  postcheck  L1 recorded as `l1`, the diff against --snapshot, the token probe when --probe-*
             name one, uncordon + monitor on pass, incident (the node stays cordoned) otherwise
  fail       a host-side step (--failed-step) failed with --why: recorded, incident
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from diag.errors import UsageError
from diag.exitcodes import Exit, exit_code
from diag.transport.base import CommandResult, Target
from lifecycle.maintain_steps import Ledger, step_of
from schemas.envelope import Envelope, Status

if TYPE_CHECKING:
    from lifecycle.maintain_args import Context
    from schemas.lifecycle_maintain import MaintainData, MaintainEnvelope

STEPS = ("drain", "precheck", "intent", "command", "postcheck", "fail")
HOST_STEPS = ("reboot_intent", "command", "return")  # what --failed-step may name


@dataclass(frozen=True)
class StepRequest:
    step: str
    snapshot: Path | None = None
    boot_id: str = ""
    rc: int | None = None
    failed_step: str = ""
    why: str = ""
    stdin: bytes = b""


def check(req: StepRequest, act: bool, targets: list[Target]) -> None:
    """Before anything is touched: one host, and what the step needs (exit 2 otherwise)."""
    if len(targets) != 1:
        raise UsageError(f"--step runs for one host; -H/-i --limit name {len(targets)}")
    needs = {"precheck": req.snapshot, "postcheck": req.snapshot, "intent": req.boot_id,
             "command": req.rc is not None, "fail": req.failed_step}  # fmt: skip
    flag = {"precheck": "--snapshot", "postcheck": "--snapshot", "intent": "--boot-id",
            "command": "--rc", "fail": "--failed-step"}  # fmt: skip
    if req.step in needs and not needs[req.step]:
        raise UsageError(f"--step {req.step} needs {flag[req.step]}")
    if req.step == "fail" and req.failed_step not in HOST_STEPS:
        raise UsageError(f"--failed-step {req.failed_step!r}: one of {', '.join(HOST_STEPS)}")
    if req.step not in ("intent",) and not act:
        raise UsageError(f"--step {req.step} changes the registry and scheduler: add --act")
    if req.step == "postcheck":
        assert req.snapshot is not None
        if not req.snapshot.is_file():
            raise UsageError(f"--snapshot {req.snapshot}: no pre-check here (--step precheck)")


def intent_bytes(t: Target, ctx: Context, req: StepRequest) -> bytes:
    """The whole new intents file, built as `maintain` builds it before a reboot."""
    from diag.envelope import utc_now
    from diag.reset.intents import intent_file
    from lifecycle.registry.store import actor
    from schemas.reset import RebootIntent

    intent = RebootIntent(at=utc_now(), action="reboot", boot_id=req.boot_id[:64],
                          requested_by=f"diagctl lifecycle maintain ({actor()})",
                          reason=ctx.args.reason[:200])  # fmt: skip
    return intent_file(req.stdin, intent)


def _health(ctx: Context, t: Target) -> Envelope:
    from diag.hostcheck import check_host

    async def go() -> Envelope:
        try:
            return (await check_host(ctx.transport, t, ctx.health)).envelope
        finally:
            await ctx.transport.close()

    return asyncio.run(go())


def _drain(lg: Ledger, ctx: Context) -> tuple[MaintainData, bool]:
    """(data, tripped): outside the window or past the breaker nothing is touched."""
    from lifecycle import maintenance as mt
    from lifecycle.maintain import _admit

    late = mt.window_problem(ctx.args.window, ctx.clock())
    stop = late or _admit([lg.t], ctx)
    if stop:
        lg.data.steps.append(step_of("cordon", "skipped", stop))
        lg.data.outcome = "not_started"
        return lg.data, not late
    return lg.finish("passed" if lg.cordon() else "failed"), False


def _precheck(lg: Ledger, ctx: Context, snapshot: Path) -> MaintainData:
    from diag.files import atomic_write

    pre = _health(ctx, lg.t)
    lg.check("precheck", pre, gate=False)
    atomic_write(snapshot, pre.model_dump_json().encode() + b"\n")
    if pre.status is Status.UNREACHABLE:
        return asyncio.run(lg.fail("precheck", "host unreachable"))
    return lg.finish("passed")


def _postcheck(lg: Ledger, ctx: Context, snapshot: Path) -> MaintainData:
    from lifecycle import maintenance as mt

    try:
        pre = Envelope.model_validate_json(snapshot.read_bytes())
    except (OSError, ValueError) as exc:
        raise UsageError(f"--snapshot {snapshot}: not a pre-check envelope: {exc}") from None
    post = _health(ctx, lg.t)
    good = lg.check("postcheck", post, gate=True)
    lg.data.changes = mt.diff(pre, post)
    lg.ok("diff", f"{len(lg.data.changes)} finding(s) changed")
    if not good:
        return asyncio.run(lg.fail("postcheck", "post-check did not pass"))
    if ctx.probe is not None and not asyncio.run(lg.probe(ctx.probe)):
        return asyncio.run(lg.fail("probe", lg.data.steps[-1].message))
    return lg.passed()


def _command(lg: Ledger, req: StepRequest) -> MaintainData:
    res = CommandResult(req.rc, req.stdin)
    if not lg.command(res):
        return asyncio.run(lg.fail("command", lg.command_why(res)))
    return lg.finish("passed")


def run_step(t: Target, ctx: Context, req: StepRequest) -> tuple[MaintainEnvelope, Exit]:
    """The step's envelope (its own steps only) and exit status (0: go on to the next)."""
    from diag.envelope import utc_now
    from lifecycle.maintain import _envelope

    started, lg = utc_now(), Ledger(t, ctx, 0)
    tripped = False
    if req.step == "drain":
        data, tripped = _drain(lg, ctx)
    elif req.step == "precheck":
        assert req.snapshot is not None
        data = _precheck(lg, ctx, req.snapshot)
    elif req.step == "command":
        data = _command(lg, req)
    elif req.step == "postcheck":
        assert req.snapshot is not None
        data = _postcheck(lg, ctx, req.snapshot)
    else:
        data = asyncio.run(lg.fail(req.failed_step, req.why or "failed (no reason given)"))
    env = _envelope(t, data, started)
    return env, Exit.BREAKER if tripped else exit_code([env], policy=ctx.args.exits)
