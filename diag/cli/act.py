"""`diagctl health --act` and `--slurm-hcp`: the options, and acting after the health run."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from diag.cli.options import CliError, one_line_error

if TYPE_CHECKING:
    from diag.exitcodes import Exit
    from diag.health_act_setup import ActRequest
    from diag.session import SessionResult
    from diag.transport.base import Target

F = TypeVar("F", bound=Callable[..., Any])
LEVELS = ["monitor", "reset", "reboot", "isolate"]
BACKENDS = ["slurm", "kubernetes", "command", "none"]

_OPTIONS = [
    click.option("--act", is_flag=True, help="Really drain/cordon and release (default: plan)."),
    click.option(
        "--act-config",
        type=click.Path(dir_okay=False, path_type=Path),
        help="YAML: act_on, backend, breaker and hysteresis (docs/health.md).",
    ),
    click.option(
        "--act-on",
        type=click.Choice(LEVELS),
        help="Mildest finding action that drains [reset: reset, reboot, isolate].",
    ),
    click.option("--backend", type=click.Choice(BACKENDS), help="Scheduler to drain through."),
    click.option(
        "--act-state",
        type=click.Path(dir_okay=False, path_type=Path),
        help="State file [~/.local/state/diagctl/health-act-state.json].",
    ),
    click.option(
        "--act-audit",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Audit log [~/.local/state/diagctl/health-act-audit.jsonl].",
    ),
    click.option(
        "--slurm-hcp",
        is_flag=True,
        help="Slurm HealthCheckProgram: check this node, drain/resume it (implies --act).",
    ),
]
_NAMES = ("act", "act_config", "act_on", "backend", "act_state", "act_audit", "slurm_hcp")


def act_options(fn: F) -> F:
    """Add the acting options; the command receives them as `acting: ActRequest`."""
    for opt in reversed(_OPTIONS):
        fn = opt(fn)

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from diag.health_act_setup import ActRequest

        given = {n: kwargs.pop(n) for n in _NAMES}
        req = ActRequest(given["act"], given["act_config"], given["act_on"], given["backend"],
                         given["act_state"], given["act_audit"], given["slurm_hcp"])  # fmt: skip
        if req.slurm_hcp and (kwargs.get("replay") or kwargs["fleet"].wanted):
            raise CliError("--slurm-hcp checks this node only: leave out -H, -i and --replay")
        if req.slurm_hcp:
            kwargs["local"] = True
        return fn(*args, acting=req, **kwargs)

    return wrapper  # type: ignore[return-value]


def prepare(req: ActRequest, targets: list[Target], local: bool) -> Callable[..., Exit] | None:
    """Before any host is touched: the config, the paths and each host's node name (exit 2 on
    any problem). Returns what to call with the run's result, or None when not acting."""
    if not req.wanted:
        return None
    from diag import health_act
    from diag.health_act_setup import act_args

    args = act_args(req)
    nodes = health_act.node_map(targets, health_act.local_node() if local else "")

    def finish(result: SessionResult, human: bool) -> Exit:
        from diag.cli.render import emit_audits
        from diag.exitcodes import Exit, acted_exit_code

        if result.interrupted:
            click.echo("diagctl: interrupted: no drain or release was attempted", err=True)
            return result.exit
        verdicts = health_act.verdicts_of(result.envelopes, nodes, args.config.act_on)
        outcome = health_act.act_on(verdicts, args)
        emit_audits(outcome.audits, human)
        for line in outcome.warnings:
            click.echo(one_line_error(f"warning: {line}"), err=True)
        for line in outcome.output_errors:
            click.echo(one_line_error(f"Error: {line}"), err=True)
        if outcome.output_errors:
            return Exit.USAGE
        return acted_exit_code(result.exit, outcome.breaker_tripped, outcome.action_failed)

    return finish
