"""`diagctl health` and `diagctl checks`: options, one library call, render, exit code."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from diag.cli.act import act_options
from diag.cli.options import (
    comma_list,
    examples,
    fleet_options,
    guarded,
    one_line_error,
    output_options,
    wants_human,
)
from diag.fleet.args import FleetArgs

if TYPE_CHECKING:
    from diag.health_act_setup import ActRequest

MIN_MAX_BYTES = 1024  # the envelope skeleton alone needs ~600 bytes


@click.command(
    epilog=examples(
        "diagctl health --local",
        "diagctl health -H root@10.0.0.7,root@10.0.0.8 --identity ~/.ssh/diag_ed25519 -f 128",
        "diagctl health -i inventory.yaml --limit h100 --check gpu.xid,gpu.memory --out run1",
        "diagctl health --replay run1 --policy site.yaml --human",
        "diagctl health -i inventory.yaml --act-config act.yaml --act",
        "diagctl health --slurm-hcp --expect-gpus 8",
    )
)
@click.option("--local", is_flag=True, help="Check this machine (no SSH, no inventory).")
@click.option(
    "--replay",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Re-analyse a previous --out DIR without touching any host.",
)
@click.option(
    "--policy",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Policy YAML merged over the shipped defaults.",
)
@click.option("--host-class", default="", help="Host class whose policy overrides apply.")
@click.option(
    "--check",
    "check_ids",
    multiple=True,
    callback=comma_list,
    metavar="ID[,ID...]",
    help="Run only these check ids.",
)
@click.option(
    "--max-bytes",
    default=64 * 1024,
    show_default=True,
    type=click.IntRange(min=MIN_MAX_BYTES),
    help="Hard cap on each envelope's JSON size.",
)
@click.option(
    "--timeout",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=1),
    help="Per-host deadline in seconds, payload included.",
)
@click.option("--strict", is_flag=True, help="Exit 3 on unknown findings too.")
@click.option(
    "--fail-on",
    type=click.Choice(["warn", "fail"]),
    default="fail",
    show_default=True,
    help="Mildest finding that makes the exit status non-zero (warn: exit 6 on warnings).",
)
@click.option(
    "--expect-gpus",
    type=click.IntRange(min=0),
    default=None,
    help="GPUs each host must have (wins over the host-class policy; 0: none).",
)
@click.option("-v", "--verbose", is_flag=True, help="--human: show passing checks too.")
@click.option("--overwrite", is_flag=True, help="Replace the previous run an --out DIR holds.")
@output_options
@fleet_options
@act_options
@guarded
def health(
    acting: ActRequest,
    fleet: FleetArgs,
    local: bool,
    replay: Path | None,
    policy: Path | None,
    host_class: str,
    check_ids: tuple[str, ...],
    max_bytes: int,
    timeout: float,
    strict: bool,
    fail_on: str,
    expect_gpus: int | None,
    verbose: bool,
    overwrite: bool,
    human: bool | None,
    out: Path | None,
) -> None:
    """L1 health checks: a readable table on a terminal, one bounded JSON envelope per host
    (JSONL) in a pipe; a fleet run ends the table with a recap of the hosts sharing a finding.

    Hosts: --local, --replay DIR, or over SSH with -H HOST[,HOST...] / -i INVENTORY.
    """
    from diag.payload.early import default_program, hand_over, started_early

    # The local payload runs while the checks and models load (diag/payload/early.py).
    alone = local and not (check_ids or replay or fleet.wanted)
    with started_early(default_program(timeout) if alone else None) as early:
        from diag.cli.act import prepare
        from diag.cli.render import colour_wanted, recap_text, render_to_stdout
        from diag.health import health_targets, options_for, run_session

        opts = options_for(policy, check_ids, timeout, max_bytes, host_class, expect_gpus)
        targets, transport = health_targets(local, replay, fleet, opts)
        hand_over(early, transport)
        finish = prepare(acting, targets, local)
        if out is not None:  # before any host: never two runs in one DIR, never into --replay's
            from diag.artifacts import prepare_out

            prepare_out(out, overwrite, reads=replay)
        readable = wants_human(human)
        colour = readable and colour_wanted(os.environ, sys.stdout.isatty())
        recap = None
        if readable and len(targets) > 1:
            from diag.fleet.recap import RecapBuilder

            recap = RecapBuilder()
        emit = render_to_stdout(readable, verbose, len(targets), colour, recap)
        from diag.exitcodes import ExitPolicy, FailOn

        exits = ExitPolicy(strict, FailOn(fail_on))
        result = run_session(targets, transport, opts, emit, out, fleet, exits)
        if recap is not None:
            click.echo(recap_text(recap.build(), colour))
        for warning in result.warnings:
            click.echo(one_line_error(f"diagctl: {warning}"), err=True)
    sys.exit(int(finish(result, readable) if finish else result.exit))


@click.group(epilog=examples("diagctl checks list", "diagctl checks list --json"))
def checks() -> None:
    """The check catalog."""


@checks.command(
    "list",
    epilog=examples(
        "diagctl checks list",
        "diagctl checks list --policy site.yaml --host-class dgx-h100 --json",
    ),
)
@click.option("--policy", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--host-class", default="")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per check.")
@guarded
def checks_list(policy: Path | None, host_class: str, as_json: bool) -> None:
    """Every check: id, what it reads, thresholds and their source."""
    from diag.cli.render import catalog_rows
    from diag.health import catalog

    for row in catalog_rows(catalog(policy, host_class), as_json):
        click.echo(row)
