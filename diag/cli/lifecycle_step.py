"""`diagctl lifecycle maintain --step`: the options of one controller-side step for one host."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

if TYPE_CHECKING:
    from diag.transport.base import Target
    from lifecycle.maintain_args import Context

F = TypeVar("F", bound=Callable[..., Any])
STEPS = ("drain", "precheck", "intent", "command", "postcheck", "fail")
NAMES = ("step", "snapshot", "boot_id", "rc", "failed_step", "why")


def step_options(fn: F) -> F:
    """--step and what the steps need; passed on as one `step` (StepRequest or None)."""

    @wraps(fn)  # keeps the click options already declared below this decorator
    def wrapper(*args: Any, **kw: Any) -> Any:
        vals = {n: kw.pop(n) for n in NAMES}
        kw["step"] = None
        if vals["step"]:
            from lifecycle.maintain_step import StepRequest

            stdin = sys.stdin.buffer.read() if vals["step"] in ("intent", "command") else b""
            kw["step"] = StepRequest(**{**vals, "why": vals["why"] or ""}, stdin=stdin)
        return fn(*args, **kw)

    for opt in reversed((
        click.option("--step", type=click.Choice(STEPS), default=None,
                     help="Run one controller-side step for one host (playbooks/maintain.yml)."),
        click.option("--snapshot", type=click.Path(dir_okay=False, path_type=Path),
                     help="precheck writes, postcheck reads: the pre-check envelope."),
        click.option("--boot-id", default="", help="intent: the host's boot id now."),
        click.option("--rc", type=int, default=None,
                     help="command: the command's exit status (its output on stdin)."),
        click.option("--failed-step", default="", metavar="STEP",
                     help="fail: the host-side step that failed (reboot_intent|command|return)."),
        click.option("--why", default="", help="fail: what it said."),
    )):  # fmt: skip
        wrapper = opt(wrapper)
    return wrapper  # type: ignore[return-value]


def run_one(req: Any, targets: list[Target], ctx: Context, human: bool | None) -> NoReturn:
    """One step: the intents file on stdout (intent), else the step's envelope and status."""
    from diag.cli.lifecycle import emitter
    from lifecycle.maintain_step import check, intent_bytes, run_step

    check(req, ctx.args.act, targets)
    if req.step == "intent":
        sys.stdout.buffer.write(intent_bytes(targets[0], ctx, req))
        sys.stdout.buffer.flush()
        sys.exit(0)
    env, code = run_step(targets[0], ctx, req)
    emitter(human)(env)
    sys.exit(int(code))
