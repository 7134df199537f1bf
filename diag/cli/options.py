"""Shared click decorators: output options, the fleet options, and `guarded`, the one place
where library errors become one line on stderr and an exit status."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
from click.core import ParameterSource

from diag.exitcodes import Exit

F = TypeVar("F", bound=Callable[..., Any])
SECRETS_KEY = "diagctl.secrets"  # click context meta: literal secrets of this run, for redaction


def one_line_error(message: str) -> str:
    """What reaches stderr: this run's secrets redacted, control sequences made visible."""
    from diag import redact
    from diag.textsafe import safe_text

    ctx = click.get_current_context(silent=True)
    known = ctx.meta.get(SECRETS_KEY, ()) if ctx is not None else ()
    return safe_text(redact.text(message, known))


class CliError(click.ClickException):
    """A user-facing error: one line on stderr, exit 2 (usage)."""

    exit_code = int(Exit.USAGE)

    def __init__(self, message: str) -> None:
        super().__init__(one_line_error(message))


class CliInternalError(CliError):
    """A library error that is diagctl's own fault: one line, exit 1."""

    exit_code = int(Exit.INTERNAL)


def examples(*lines: str) -> str:
    """An `Examples:` epilog for --help; click's `\\b` keeps the lines as written."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


def comma_list(
    ctx: click.Context, param: click.Parameter, value: tuple[str, ...]
) -> tuple[str, ...]:
    """A repeatable option also takes comma lists: `--check a,b` is `--check a --check b`."""
    items = tuple(part.strip() for v in value for part in v.split(","))
    if any(not item for item in items):
        bad = next(v for v in value if any(not p.strip() for p in v.split(",")))
        raise CliError(f"{param.opts[-1]} {bad!r}: empty item in a comma list")
    return items


# An --out DIR named like a file (`--out result.json`) would become a directory of that name.
FILE_SUFFIXES = frozenset(
    {".json", ".jsonl", ".ndjson", ".yaml", ".yml", ".txt", ".log", ".csv", ".prom", ".gz"}
)


def out_dir(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    if value is not None and value.suffix.lower() in FILE_SUFFIXES and not value.is_dir():
        raise CliError(
            f"--out {value}: --out names a directory (hosts/<host>/envelope.json, run.json); "
            f"for one JSONL file redirect stdout instead: > {value.name}"
        )
    return value


def format_options(fn: F) -> F:
    """`--human` / `--json`; neither: the readable view on a terminal, JSONL in a pipe."""
    fn = click.option(
        "--human",
        "human",
        flag_value=True,
        default=None,
        help="A readable table (the default when stdout is a terminal).",
    )(fn)
    fn = click.option(
        "--json",
        "human",
        flag_value=False,
        default=None,
        help="One JSON envelope per line (the default in a pipe).",
    )(fn)
    return fn


def wants_human(human: bool | None) -> bool:
    """--human / --json as given, else whether stdout is a terminal (like `ls` and `git`)."""
    return sys.stdout.isatty() if human is None else human


def output_options(fn: F) -> F:
    fn = format_options(fn)
    fn = click.option(
        "--out",
        "out",
        type=click.Path(file_okay=False, path_type=Path),
        callback=out_dir,
        help="Keep DIR/hosts/<host>/{envelope.json,raw/} and DIR/run.json.",
    )(fn)
    return fn


def guarded(fn: F) -> F:
    """Library errors (diag.errors.DiagError) become one line and their exit status; an
    unexpected one becomes an internal error that says how to see more (--debug)."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from diag.errors import DiagError

        try:
            return fn(*args, **kwargs)
        except DiagError as exc:
            cls = CliInternalError if exc.exit_code == Exit.INTERNAL else CliError
            raise cls(str(exc)) from exc
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
            click.echo(
                one_line_error(
                    f"diagctl: internal error: {type(exc).__name__}: {exc} "
                    "(rerun with --debug for a traceback)"
                ),
                err=True,
            )
            sys.exit(int(Exit.INTERNAL))

    return wrapper  # type: ignore[return-value]


_NAMES = (
    "hosts",
    "inventory",
    "limit",
    "identity",
    "known_hosts",
    "accept_new",
    "forks",
    "transport",
    "user",
    "jump",
    "ssh_config",
    "connect_timeout",
    "workers",
    "become",
)

_OPTIONS = [
    click.option(
        "-H",
        "--hosts",
        multiple=True,
        callback=comma_list,
        metavar="HOST[,HOST...]",
        help="Hosts as [user@]host[:port], comma-separated; IPv6 as [addr]:port.",
    ),
    click.option(
        "-i",
        "--inventory",
        type=click.Path(dir_okay=False, path_type=Path),
        help="diagctl YAML, Ansible INI/YAML inventory, or a file of host entries.",
    ),
    click.option(
        "--limit",
        default="",
        help="Ansible-style pattern: group, glob, ~regex, a:b, &and, !not, @file.",
    ),
    click.option(
        "--identity",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Private key file (the agent is used too).",
    ),
    click.option(
        "--known-hosts",
        type=click.Path(dir_okay=False, path_type=Path),
        help="known_hosts file to check host keys against [~/.ssh/known_hosts].",
    ),
    click.option(
        "--accept-new",
        is_flag=True,
        help="Record first-seen host keys in known_hosts; a CHANGED key is still refused.",
    ),
    click.option(
        "-f",
        "--forks",
        default=64,
        show_default=True,
        type=click.IntRange(1, 4096),
        help="Hosts in flight at once.",
    ),
    click.option(
        "--transport",
        type=click.Choice(["asyncssh", "fabric"]),
        default="asyncssh",
        show_default=True,
        help="SSH implementation.",
    ),
    click.option("--user", default="", help="Default SSH user (inventory and -H win)."),
    click.option(
        "--jump",
        default="",
        metavar="[USER@]HOST[:PORT]",
        help="Default jump host / bastion (ProxyJump).",
    ),
    click.option(
        "--ssh-config",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Honour this OpenSSH client config (e.g. ~/.ssh/config); none is read otherwise.",
    ),
    click.option(
        "--workers",
        default=0,
        type=click.IntRange(0, 256),
        help="Worker processes for SSH runs [0: one per core, but each gets 256+ hosts].",
    ),
    click.option(
        "--become",
        is_flag=True,
        help="Run the payload through `sudo -n` when the SSH user is not root.",
    ),
    click.option(
        "--connect-timeout",
        default=10.0,
        show_default=True,
        type=click.FloatRange(min=0.5),
        help="Seconds for TCP + SSH handshake.",
    ),
]


def fleet_options(fn: F) -> F:
    """Add the SSH fan-out options; the command receives them as `fleet: FleetArgs`."""
    for opt in reversed(_OPTIONS):
        fn = opt(fn)

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        given = {n: kwargs.pop(n) for n in _NAMES}
        given["limit"] = given["limit"] or ""
        source = click.get_current_context().get_parameter_source("inventory")
        if source is ParameterSource.DEFAULT_MAP and (
            given["hosts"] or kwargs.get("local") or kwargs.get("replay")
        ):
            given["inventory"] = None  # a configured inventory yields to -H, --local, --replay
        from diag.fleet.args import FleetArgs  # not on `version`'s path

        return fn(*args, fleet=FleetArgs(**given), **kwargs)

    return wrapper  # type: ignore[return-value]
