"""`diagctl reset-reason`: options, one library call, render, exit code."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from diag.cli.options import (
    CliError,
    examples,
    fleet_options,
    guarded,
    one_line_error,
    output_options,
    wants_human,
)
from diag.fleet.args import FleetArgs

if TYPE_CHECKING:
    from schemas.envelope import Envelope

_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
MAX_SINCE_S = 366 * 86400


def since_seconds(ctx: click.Context, param: click.Parameter, value: str) -> int:
    """`7d`, `12h`, `90m`, `2w` -> seconds; anything else is a usage error."""
    m = re.fullmatch(r"\s*(\d+)\s*([mhdw])\s*", value or "")
    if not m or int(m.group(1)) == 0:
        raise CliError(f"--since {value!r}: expected a count and a unit, e.g. 7d, 12h, 90m, 2w")
    seconds = int(m.group(1)) * _UNITS[m.group(2)]
    if seconds > MAX_SINCE_S:
        raise CliError(f"--since {value!r}: at most 366 days")
    return seconds


def _jsonl(env: Envelope) -> None:
    sys.stdout.write(env.model_dump_json() + "\n")
    sys.stdout.flush()


@click.command(
    "reset-reason",
    epilog=examples(
        "diagctl reset-reason --local",
        "diagctl reset-reason -i inventory.yaml --since 7d --limit h100 --out resets1",
        "diagctl reset-reason -H root@10.0.0.7 --identity ~/.ssh/diag_ed25519 --human",
        "diagctl reset-reason --replay resets1 --repeat-after 3 --unplanned-max 2",
    ),
)
@click.option("--local", is_flag=True, help="This machine (no SSH, no inventory).")
@click.option(
    "--replay",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Re-judge a previous --out DIR without touching any host.",
)
@click.option(
    "--since",
    "since_s",
    default="7d",
    show_default=True,
    callback=since_seconds,
    help="Timeline window: resets that ended within it (m, h, d, w).",
)
@click.option(
    "--repeat-after",
    default=2,
    show_default=True,
    type=click.IntRange(min=1),
    help="The same GPU fault class before this many resets: isolate / RMA finding.",
)
@click.option(
    "--unplanned-max",
    default=1,
    show_default=True,
    type=click.IntRange(min=0),
    help="More unplanned resets than this in 7 days: escalate finding.",
)
@click.option(
    "--timeout",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=2),
    help="Per-host deadline in seconds, payload included.",
)
@click.option("--strict", is_flag=True, help="Exit 3 on unknown findings too.")
@click.option("-v", "--verbose", is_flag=True, help="--human: show passing findings too.")
@click.option("--overwrite", is_flag=True, help="Replace the previous run an --out DIR holds.")
@output_options
@fleet_options
@guarded
def reset_reason(
    fleet: FleetArgs,
    local: bool,
    replay: Path | None,
    since_s: int,
    repeat_after: int,
    unplanned_max: int,
    timeout: float,
    strict: bool,
    verbose: bool,
    overwrite: bool,
    human: bool | None,
    out: Path | None,
) -> None:
    """Why did each host last reset, and its resets over --since: one envelope per host
    (kind reset_reason) with the reason, a confidence computed from the evidence, the evidence
    itself and which sources could not be read. Read-only on the hosts.

    Hosts: --local, --replay DIR, or over SSH with -H HOST[,HOST...] / -i INVENTORY.
    """
    from diag.payload import local_argv, payload_deadline
    from diag.payload.early import hand_over, started_early
    from diag.reset.sources import build_local

    # The local payload runs while the judging code and models load (diag/payload/early.py).
    alone = local and not (replay or fleet.wanted)
    with started_early(build_local(since_s, payload_deadline(timeout)) if alone else None) as e:
        from diag.exitcodes import ExitPolicy
        from diag.reset.correlate import Thresholds
        from diag.reset_reason import ResetOptions, reset_targets, run_reset

        opts = ResetOptions(since_s, timeout, thresholds=Thresholds(repeat_after, unplanned_max))
        targets, transport = reset_targets(local, replay, fleet, timeout)
        hand_over(e, transport)
        opts.command = ("python3", "-I", "-") if fleet.wanted else local_argv()
        if out is not None:
            from diag.artifacts import check_out_dir, prepare_out

            prepare_out(out, overwrite, reads=replay)
            check_out_dir(out)
        readable = wants_human(human)
        if readable:  # the table view; JSON lines need none of its imports
            from diag.cli.render import colour_wanted, render_to_stdout

            colour = colour_wanted(os.environ, sys.stdout.isatty())
            emit = render_to_stdout(readable, verbose, len(targets), colour)
        else:
            emit = _jsonl
        result = run_reset(targets, transport, opts, emit, out, fleet.forks, ExitPolicy(strict))
        for warning in result.warnings:
            click.echo(one_line_error(f"diagctl: {warning}"), err=True)
    sys.exit(int(result.exit))
