"""`diagctl report --html`: one self-contained HTML page of a run."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from diag.cli.export import finish_source, read_envelopes, source_options
from diag.cli.options import examples, guarded


@click.command(
    epilog=examples(
        "diagctl report --html --from run1 --out run1.html",
        "diagctl report --html --from run1 --from probes.jsonl --out fleet.html",
        "diagctl report --html --from health.jsonl",
    )
)
@click.option("--html", "html", is_flag=True, required=True, help="An HTML page (the format).")
@source_options
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Write the page to this file (atomically) [default: stdout].",
)
@click.option("--title", default="", help="Page title [default: the --from paths].")
@guarded
def report(html: bool, sources: tuple[Path, ...], out: Path | None, title: str) -> None:
    """A self-contained HTML page of a run: fleet heatmap, GPUs needing action, probe verdicts
    and TTFT trend, reset reasons, Model-Unit headroom. No network, no scripts."""
    from exporters.report.app import check_out
    from exporters.report.app import report as make

    if not html:
        raise click.UsageError("--html: the only report format for now")
    check_out(out)
    envelopes, stats = read_envelopes(sources)
    page = make(envelopes, title or ", ".join(map(str, sources)) or "stdin", out)
    if out is None:
        sys.stdout.write(page)
    finish_source(stats)
