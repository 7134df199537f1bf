"""The root of `diagctl`: global options, and one `add_command` per tool."""

from __future__ import annotations

from pathlib import Path

import click

import diag
from diag.cli.health import checks, health
from diag.cli.options import guarded
from diag.cli.probe import probe


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(diag.__version__, prog_name="diagctl")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
def cli(debug: bool) -> None:
    """diagctl: agentless health, evidence and lifecycle for GPU inference fleets."""


@cli.group()
def schema() -> None:
    """JSON Schemas of every document diagctl emits or reads."""


@schema.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@guarded
def schema_export(directory: Path) -> None:
    """Write one <kind>.schema.json per document kind into DIRECTORY."""
    from diag.files import atomic_write
    from schemas.registry import DOCUMENTS, render

    for kind in DOCUMENTS:
        path = directory / f"{kind}.schema.json"
        atomic_write(path, render(kind).encode())
        click.echo(str(path))


cli.add_command(health)
cli.add_command(checks)
cli.add_command(probe)


def main() -> None:
    import os

    # pydantic scans every installed distribution for plugins at first use (~15 ms); we use none.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "1")
    cli(prog_name="diagctl")


if __name__ == "__main__":
    main()
