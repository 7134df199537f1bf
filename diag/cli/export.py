"""`diagctl export …`: envelopes in, another system's format out. Every subcommand is a Unix
filter first: JSONL envelopes on stdin (or `--from` run directories and JSONL files), the export
on stdout, unless it is told to write a textfile, push or serve.

Subcommands live in their own modules and are added here with one `add_command` each. Bad input
lines are skipped and counted (exporters/source.py); the count reaches stderr as one line at the
end and the exit status is 1 (docs/exporters.md), the rest of the export is still written.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from diag.cli.lazy import lazy_group
from diag.cli.options import examples

if TYPE_CHECKING:
    from exporters.source import SourceStats
    from schemas.envelope import Envelope

F = TypeVar("F", bound=Callable[..., Any])
SKIPPED_EXIT = 1  # some input lines were not envelopes; everything else was exported


def source_options(fn: F) -> F:
    """`--from PATH` (repeatable): a `--out` run directory or a JSONL file; default stdin."""
    return click.option(
        "--from",
        "sources",
        multiple=True,
        type=click.Path(exists=True, path_type=Path),
        help="A --out run directory or a JSONL file of envelopes (repeatable) [default: stdin].",
    )(fn)


def read_envelopes(
    sources: tuple[Path, ...], stdin: bool = True
) -> tuple[Iterator[Envelope], SourceStats]:
    """The envelopes of `--from` (or stdin, unless told not to) and the counters
    `finish_source` reports."""
    from exporters.source import SourceStats, envelopes

    stats = SourceStats()
    fallback = sys.stdin.buffer if stdin and not sources else None
    return envelopes(sources, fallback, stats), stats


def finish_source(stats: SourceStats) -> None:
    """Report skipped input on stderr and exit 1; a clean read returns."""
    from diag.cli.options import one_line_error

    line = stats.summary()
    if line:
        click.echo(f"diagctl: export: {one_line_error(line)}", err=True)
        sys.exit(SKIPPED_EXIT)


# Subcommand name -> "module:attribute"; loaded on first use (they import this module's helpers).
SUBCOMMANDS: dict[str, str] = {
    "prometheus": "diag.cli.export_prometheus:prometheus",
    "siem": "diag.cli.export_siem:siem",
    "cmdb": "diag.cli.cmdb:cmdb",
}


@click.group(cls=lazy_group(SUBCOMMANDS), epilog=examples("diagctl export prometheus --from run1"))
def export() -> None:
    """Envelopes (stdin, or --from run directories) to Prometheus, SIEM and CMDB formats."""
