"""`diagctl probe`: synthetic token probes. Options, one library call (probes.app), render."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from diag.cli.options import (
    SECRETS_KEY,
    examples,
    format_options,
    guarded,
    one_line_error,
    wants_human,
)
from diag.exitcodes import Exit


@click.group(
    epilog=examples(
        "diagctl probe run --targets probe-targets.yaml --human",
        "diagctl probe record-golden --targets probe-targets.yaml --out probe-targets.yaml",
    )
)
def probe() -> None:
    """Synthetic token-generation probes: find zombie endpoints, cordon them safely."""


@probe.command(
    "run",
    epilog=examples(
        "diagctl probe run --targets probe-targets.yaml --human",
        "diagctl probe run --targets probe-targets.yaml --act --prom /var/lib/prom/diagctl.prom",
        "diagctl probe run --targets t.yaml --state /var/lib/diagctl/probe-state.json",
    ),
)
@click.option(
    "--targets",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Targets YAML (reference: docs/probes.md).",
)
@click.option(
    "--state",
    type=click.Path(dir_okay=False, path_type=Path),
    help="State file [~/.local/state/diagctl/probe-state.json].",
)
@click.option(
    "--audit",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Append-only audit log [~/.local/state/diagctl/probe-audit.jsonl].",
)
@click.option(
    "--prom",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write a Prometheus textfile (.prom), atomically.",
)
@click.option("--act", is_flag=True, help="Really cordon/uncordon/restart (default: dry run).")
@click.option("--once", is_flag=True, help="One round, then exit (the default; for cron).")
@click.option(
    "--lock-wait",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Seconds to wait for an overlapping run's state lock.",
)
@click.option(
    "--concurrency",
    default=256,
    show_default=True,
    type=click.IntRange(min=1, max=4096),
    help="Probes in flight at once.",
)
@format_options
@guarded
def probe_run(
    targets: Path,
    state: Path | None,
    audit: Path | None,
    prom: Path | None,
    act: bool,
    once: bool,
    lock_wait: float,
    concurrency: int,
    human: bool | None,
) -> None:
    """Probe every target once: a readable line per target on a terminal, one envelope per
    target (then audit envelopes) as JSONL in a pipe."""
    from diag import redact
    from diag.cli.render import colour_wanted, emit_round
    from diag.exitcodes import probe_exit_code
    from probes import app

    tf = app.load_targets(targets)
    secrets = app.secrets_of(tf)
    click.get_current_context().meta[SECRETS_KEY] = secrets  # guarded redacts them too
    args = app.ProbeArgs(state, audit, prom, act, lock_wait, concurrency)
    with redact.known(secrets):
        outcome = app.probe_round(tf, args)
        if outcome.result is None:  # interrupted: every target is still accounted for
            for env in outcome.interrupted:
                sys.stdout.write(env.model_dump_json() + "\n")
            sys.stdout.flush()
            sys.exit(int(Exit.INTERRUPTED))
        result = outcome.result
        readable = wants_human(human)
        emit_round(result, readable, readable and colour_wanted(os.environ, sys.stdout.isatty()))
        for line in result.warnings:
            click.echo(one_line_error(f"warning: {line}"), err=True)
        for line in result.output_errors:  # the round is on stdout; a file was not written
            click.echo(one_line_error(f"Error: {line}"), err=True)
    if result.output_errors:
        sys.exit(int(Exit.USAGE))
    sys.exit(int(probe_exit_code(result.probes, result.breaker_tripped, result.action_failed)))


@probe.command(
    "record-golden",
    epilog=examples(
        "diagctl probe record-golden --targets probe-targets.yaml",
        "diagctl probe record-golden --targets probe-targets.yaml --out probe-targets.yaml",
    ),
)
@click.option("--targets", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the targets file with golden_text set here (atomically); default stdout.",
)
@guarded
def probe_record_golden(targets: Path, out: Path | None) -> None:
    """Probe once and record each healthy target's text as its golden_text."""
    from probes import app, golden

    tf = app.load_targets(targets)
    new, notes = app.record_golden(tf)
    for note in notes:
        click.echo(one_line_error(note), err=True)
    if out is None:
        sys.stdout.write(golden.dump(new))
    else:
        golden.write(out, new)
    sys.exit(int(Exit.FINDINGS) if notes else int(Exit.OK))
