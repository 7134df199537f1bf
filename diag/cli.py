"""The click CLI: options, one library call, render, exit code. Nothing else lives here."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

import diag
from diag.cli_fleet import FleetArgs, fleet_options
from diag.exitcodes import Exit, ExitPolicy, FailOn

MIN_MAX_BYTES = 1024  # the envelope skeleton alone needs ~600 bytes

F = TypeVar("F", bound=Callable[..., Any])


class DiagError(click.ClickException):
    """A user-facing error: one line on stderr, exit 2 (usage)."""

    exit_code = int(Exit.USAGE)

    def __init__(self, message: str) -> None:
        from diag.textsafe import safe_text

        super().__init__(safe_text(message))


def output_options(fn: F) -> F:
    fn = click.option("--human", "human", is_flag=True, help="A readable table, not JSONL.")(fn)
    fn = click.option(
        "--json", "human", flag_value=False, help="One JSON envelope per line (the default)."
    )(fn)
    fn = click.option(
        "--out",
        "out",
        type=click.Path(file_okay=False, path_type=Path),
        help="Keep DIR/hosts/<host>/{envelope.json,raw/} and DIR/run.json.",
    )(fn)
    return fn


def guarded(fn: F) -> F:
    """Library errors become one line; an unexpected one says how to see more (--debug)."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from diag.policy import PolicyError
        from diag.yamlfile import YamlFileError

        try:
            return fn(*args, **kwargs)
        except (PolicyError, YamlFileError) as exc:
            raise DiagError(str(exc)) from exc
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            sys.exit(int(Exit.INTERRUPTED))
        except BrokenPipeError:
            # `diagctl ... | head`: the reader left; stop quietly like any Unix filter.
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(141)
        except Exception as exc:
            if click.get_current_context().find_root().params.get("debug"):
                raise
            from diag.textsafe import safe_text

            click.echo(
                safe_text(
                    f"diagctl: internal error: {type(exc).__name__}: {exc} "
                    "(rerun with --debug for a traceback)"
                ),
                err=True,
            )
            sys.exit(int(Exit.INTERNAL))

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(diag.__version__, prog_name="diagctl")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
def cli(debug: bool) -> None:
    """diagctl: agentless health, evidence and lifecycle for GPU inference fleets."""


@cli.command()
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
@click.option("--check", "check_ids", multiple=True, help="Run only these check ids.")
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
@output_options
@fleet_options
@guarded
def health(
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
    human: bool,
    out: Path | None,
) -> None:
    """L1 health checks: one bounded JSON envelope per host on stdout.

    Hosts: --local, --replay DIR, or over SSH with -H HOST[,HOST...] / -i INVENTORY.
    """
    from diag.cli_fleet import run_session
    from diag.cli_health import health_targets, options_for, render_to_stdout

    opts = options_for(policy, check_ids, timeout, max_bytes, host_class, expect_gpus)
    targets, transport = health_targets(local, replay, fleet, opts)
    emit = render_to_stdout(human, verbose, len(targets))
    exits = ExitPolicy(strict, FailOn(fail_on))
    result = run_session(targets, transport, opts, emit, out, fleet, exits)
    sys.exit(int(result.exit))


@cli.group()
def schema() -> None:
    """JSON Schemas of every document diagctl emits or reads."""


@schema.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@guarded
def schema_export(directory: Path) -> None:
    """Write one <kind>.schema.json per document kind into DIRECTORY."""
    from schemas.registry import export

    for path in export(directory):
        click.echo(str(path))


@cli.group()
def checks() -> None:
    """The check catalog."""


@checks.command("list")
@click.option("--policy", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--host-class", default="")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per check.")
@guarded
def checks_list(policy: Path | None, host_class: str, as_json: bool) -> None:
    """Every check: id, what it reads, thresholds and their source."""
    from diag.cli_health import catalog_rows

    for row in catalog_rows(policy, host_class, as_json):
        click.echo(row)


@cli.group()
def probe() -> None:
    """Synthetic token-generation probes: find zombie endpoints, cordon them safely."""


@probe.command("run")
@click.option(
    "--targets",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Targets YAML (see the README, Synthetic token probes).",
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
@click.option("--human", is_flag=True, help="A readable line per target, not JSONL.")
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
    human: bool,
) -> None:
    """Probe every target once; one envelope per target (then audit envelopes) on stdout."""
    from probes.cli_glue import probe_run as run

    sys.exit(run(targets, state, audit, prom, act, human, lock_wait, concurrency))


@probe.command("record-golden")
@click.option("--targets", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the targets file with golden_text set here (atomically); default stdout.",
)
@guarded
def probe_record_golden(targets: Path, out: Path | None) -> None:
    """Probe once and record each healthy target's text as its golden_text."""
    from probes.cli_glue import record_golden

    sys.exit(record_golden(targets, out))


def main() -> None:
    import os

    # pydantic scans every installed distribution for plugins at first use (~15 ms); we use none.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "1")
    cli(prog_name="diagctl")


if __name__ == "__main__":
    main()
