"""`reset-reason --local` invocations the fast path answers, their options parsed as click would.

Only `--local` with JSON output and the options below, with values click would accept, no
config file and no DIAGCTL_* variable; anything else (help, --out, --human, a bad value) is
click's (diag/cli/reset.py), errors and help text included.
"""

from __future__ import annotations

import math

from diag.fastpath.argv import parse_local
from schemas.record import record

TYPE_CHECKING = False  # typing.TYPE_CHECKING: this runs before the payload starts
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}  # diag/cli/reset.py's --since
MAX_SINCE_S = 366 * 86400
VALUED = ("--since", "--repeat-after", "--unplanned-max", "--timeout")


@record(kw_only=True)
class LocalReset:
    since_s: int = 7 * 86400
    repeat_after: int = 2
    unplanned_max: int = 1
    timeout: float = 30.0
    strict: bool = False


def since_seconds(text: str) -> int | None:
    """diag.cli.reset.since_seconds (`\\s*(\\d+)\\s*([mhdw])\\s*` in full), None where click
    would refuse the value; without `re`, which this runs before the payload starts. `\\s` is
    str.isspace() and `\\d` str.isdecimal() for str patterns, as strip() and isdecimal() here."""
    text = text.strip()
    number, unit = text[:-1].rstrip(), text[-1:]
    if unit not in UNITS or not number.isdecimal() or int(number) == 0:
        return None
    seconds = int(number) * UNITS[unit]
    return seconds if seconds <= MAX_SINCE_S else None


def _value(opts: LocalReset, name: str, text: str) -> bool:
    """Set one valued option; False when click would refuse the value (click says why)."""
    try:
        if name == "--since":
            since = since_seconds(text)
            opts.since_s = since or 0
            return since is not None
        if name == "--timeout":
            opts.timeout = float(text)
            return math.isfinite(opts.timeout) and opts.timeout >= 2
        if name == "--repeat-after":
            opts.repeat_after = int(text, 10)
            return opts.repeat_after >= 1
        opts.unplanned_max = int(text, 10)
        return opts.unplanned_max >= 0
    except ValueError:
        return False


def parse(args: Sequence[str], env: Mapping[str, str], tty: bool) -> LocalReset | None:
    """The options of `reset-reason --local ...` (args after the program name), or None."""
    opts = LocalReset()
    return opts if parse_local("reset-reason", args, env, tty, opts, VALUED, _value) else None
