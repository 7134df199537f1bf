"""`diagctl lifecycle record`: monitoring envelopes (health, probe results, MU reports) recorded
as monitor evidence of the assets they name (lifecycle/monitor_record.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from diag.cli.lifecycle import emitter, open_reg, registry_options
from diag.cli.options import examples, format_options, guarded, one_line_error

PROBLEM_EXIT = 1  # input named no asset or was not an envelope: the rest was still recorded


@click.command(
    "record",
    epilog=examples(
        "diagctl lifecycle record health.jsonl --act",
        "diagctl lifecycle record probe-results.jsonl --act",
        "diagctl lifecycle record mu-report.jsonl --min-headroom 0.2",
        "diagctl lifecycle record run1 decay.jsonl --min-capacity 0.7 --act",
    ),
)
@click.argument("files", nargs=-1, type=click.Path(exists=True, allow_dash=True, path_type=Path))
@click.option("--act", is_flag=True, help="Append to the assets' history (without it: a dry run).")
@click.option(
    "--min-headroom",
    default=0.10,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="mu.report: a node's headroom below this share of its capacity warns.",
)
@click.option(
    "--min-capacity",
    default=0.80,
    show_default=True,
    type=click.FloatRange(0, 10),
    help="mu.decay: delivered / calibrated MU/s below this warns.",
)
@format_options
@registry_options
@guarded
def record(
    files: tuple[Path, ...],
    act: bool,
    min_headroom: float,
    min_capacity: float,
    human: bool | None,
    registry: str | None,
    lock_wait: float,
) -> None:
    """Record monitoring envelopes (FILES: JSONL files or --out run directories; none or `-`:
    stdin) as monitor evidence of the assets in monitor they name: health.l1 (the l1 step and
    drift from the baseline snapshot), probe.result (the probe step, by the probe's node),
    mu.report (headroom per node) and mu.decay (delivered capacity per node)."""
    from exporters.source import SourceStats, envelopes
    from lifecycle.monitor_feeds import Thresholds
    from lifecycle.monitor_record import record_all
    from lifecycle.registry.store import actor

    reg = open_reg(registry, lock_wait)
    paths = [p for p in files if str(p) != "-"]
    stdin = sys.stdin.buffer if not paths or len(paths) < len(files) else None
    stats = SourceStats()
    envs = list(envelopes(paths, None, stats))
    if stdin is not None:
        envs += list(envelopes([], stdin, stats))
    codes: list[int] = []

    def emit(env: object) -> None:
        emitter(human)(env)  # type: ignore[arg-type]
        codes.append(3 if getattr(env, "status", None) and env.status.value == "fail" else 0)  # type: ignore[attr-defined]

    rep = record_all(reg, envs, Thresholds(min_headroom, min_capacity), act, actor(), emit)
    problems = rep.problems() + ([stats.summary()] if stats.skipped else [])
    for line in problems + rep.notes():
        click.echo(f"diagctl: lifecycle record: {one_line_error(line)}", err=True)
    if act:
        click.echo(
            f"diagctl: lifecycle record: {rep.recorded} action(s) recorded, "
            f"{rep.duplicates} already recorded",
            err=True,
        )
    sys.exit(PROBLEM_EXIT if problems else max(codes, default=0))
