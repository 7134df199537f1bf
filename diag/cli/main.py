"""The root of `diagctl`: global options, and one `COMMANDS` line per tool.

A tool's command is imported only when it runs, or when `--help` lists the commands: `diagctl
version` and `diagctl health --local` never pay for the imports of `probe` or `export`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

import diag
from diag.cli.config import CONFIG_KEY, default_map
from diag.cli.lazy import LazyCommands
from diag.cli.options import examples, guarded

# Command name -> "module:attribute" of its click command. A new tool is one line here.
COMMANDS: dict[str, str] = {
    "health": "diag.cli.health:health",
    "checks": "diag.cli.health:checks",
    "probe": "diag.cli.probe:probe",
    "config": "diag.cli.config:config",
    "export": "diag.cli.export:export",
    "bundle": "diag.cli.bundle:bundle",
    "reset-reason": "diag.cli.reset:reset_reason",
    "report": "diag.cli.report:report",
    "mu": "diag.cli.mu:mu",
    "airgap": "diag.cli.airgap:airgap",
    "lifecycle": "diag.cli.lifecycle:lifecycle",
    "ingest": "diag.cli.ingest:ingest",
    "payload": "diag.cli.ingest:payload",
}

GLOBAL_FLAGS = ("--debug",)
GLOBAL_VALUED = ("--config",)


def hoist_globals(args: list[str]) -> list[str]:
    """`diagctl health --local --debug` is `diagctl --debug health --local`: global options
    given after the subcommand move in front of it (never those after a `--`)."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest += args[i:]
            break
        if arg in GLOBAL_FLAGS or arg.startswith(tuple(f"{o}=" for o in GLOBAL_VALUED)):
            front.append(arg)
        elif arg in GLOBAL_VALUED and i + 1 < len(args):
            front += args[i : i + 2]
            i += 1
        else:
            rest.append(arg)
        i += 1
    return front + rest


class RootGroup(click.Group):
    """click's Group over a LazyCommands dict: `COMMANDS` entries load on first use."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands = LazyCommands(COMMANDS, self.commands)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_globals(args))


@click.group(
    cls=RootGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=examples(
        "diagctl health --local",
        "diagctl health -i inventory.yaml --limit h100 --human --debug",
        "diagctl --config site.yaml config show",
        "diagctl version --json",
    ),
)
@click.version_option(diag.__version__, prog_name="diagctl")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Read defaults from this file only [$DIAGCTL_CONFIG; else /etc/diagctl/config.yaml "
    "then ~/.config/diagctl/config.yaml].",
)
@guarded
def cli(debug: bool, config_file: Path | None) -> None:
    """diagctl: agentless health, evidence and lifecycle for GPU inference fleets.

    Global options (--debug, --config) may also follow the command. Defaults come from the
    config files, then DIAGCTL_* variables; flags win (docs/configuration.md).
    """
    from diag.config import effective

    ctx = click.get_current_context()
    eff = effective(config_file)
    ctx.meta[CONFIG_KEY] = eff
    values = eff.layered()
    if values:  # only the command that runs is imported to learn its options
        ctx.default_map = default_map(cli, values, only=ctx.invoked_subcommand)


@cli.command(epilog=examples("diagctl version", "diagctl version --json"))
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
def version(as_json: bool) -> None:
    """diagctl's version, the Python running it and the platform (for bug reports)."""
    from diag.fastpath.text import version_text

    click.echo(version_text(as_json), nl=False)


@cli.group(epilog=examples("diagctl schema export schemas/json"))
def schema() -> None:
    """JSON Schemas of every document diagctl emits or reads."""


@schema.command("export", epilog=examples("diagctl schema export schemas/json"))
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


def main() -> None:
    import os

    # pydantic scans every installed distribution for plugins at first use (~15 ms); we use none.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "1")
    cli(prog_name="diagctl")


if __name__ == "__main__":
    main()
