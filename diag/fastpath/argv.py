"""Which invocations the fast path answers, and their options, parsed as click would.

Only `health --local` with JSON output and the options below; anything else (--help, another
option, a value click would refuse, a config file or DIAGCTL_* variable that could change a
default) returns None and click handles it, errors and help text included.
"""

from __future__ import annotations

import math
import os
import sys

from diag.fastpath.text import config_possible
from schemas.record import record

TYPE_CHECKING = False  # typing.TYPE_CHECKING: this runs before the payload starts
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from typing import Protocol, TypeVar

    class _Strict(Protocol):
        strict: bool

    OptsT = TypeVar("OptsT", bound=_Strict)

MIN_MAX_BYTES = 1024  # diag/cli/health.py's floor


@record(kw_only=True)
class LocalHealth:
    timeout: float = 30.0
    max_bytes: int = 64 * 1024
    strict: bool = False
    fail_on: str = "fail"
    expect_gpus: int | None = None


def _value(opts: LocalHealth, name: str, text: str) -> bool:
    """Set one valued option; False when click would refuse the value (click says why)."""
    try:
        if name == "--timeout":
            opts.timeout = float(text)
            return math.isfinite(opts.timeout) and opts.timeout >= 1
        if name == "--max-bytes":
            opts.max_bytes = int(text, 10)
            return opts.max_bytes >= MIN_MAX_BYTES
        if name == "--expect-gpus":
            opts.expect_gpus = int(text, 10)
            return opts.expect_gpus >= 0
    except ValueError:
        return False
    opts.fail_on = text
    return text in ("warn", "fail")


VALUED = ("--timeout", "--max-bytes", "--expect-gpus", "--fail-on")


def parse(args: Sequence[str], env: Mapping[str, str], tty: bool) -> LocalHealth | None:
    """The options of `health --local ...` (args after the program name), or None for click."""
    opts = LocalHealth()
    return opts if parse_local("health", args, env, tty, opts, VALUED, _value) else None


def parse_local(
    command: str,
    args: Sequence[str],
    env: Mapping[str, str],
    tty: bool,
    opts: OptsT,
    valued: tuple[str, ...],
    set_value: Callable[[OptsT, str, str], bool],
) -> bool:
    """Fill `opts` from `COMMAND --local [--json] [--strict] [VALUED ...]`; False whenever click
    must answer instead: another command or option, a value click would refuse, a config file
    or DIAGCTL_* variable, or a terminal without --json (it gets the table)."""
    if len(args) < 2 or args[0] != command or "--local" not in args or config_possible(env):
        return False
    json_given, i = False, 1
    while i < len(args):
        arg = args[i]
        name, eq, text = arg.partition("=")
        if arg == "--json":
            json_given = True
        elif arg == "--strict":
            opts.strict = True
        elif name in valued and eq:
            if not set_value(opts, name, text):
                return False
        elif arg in valued and i + 1 < len(args):
            i += 1
            if not set_value(opts, arg, args[i]):
                return False
        elif arg != "--local":
            return False
        i += 1
    return json_given or not tty


def wanted() -> LocalHealth | None:
    return parse(sys.argv[1:], os.environ, sys.stdout.isatty())
