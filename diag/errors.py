"""One error hierarchy for every library of ours; `diag.cli.options.guarded` turns it into one
line on stderr and the exit code the class carries. Libraries raise these, never click's.

Messages go to a terminal and to log files: they name the file, the entry and the field, and
never hold a secret (the CLI still redacts and strips control characters on the way out).
"""

from __future__ import annotations

from diag.exitcodes import Exit


class DiagError(Exception):
    """Anything diagctl reports as one line and an exit status instead of a traceback."""

    exit_code: Exit = Exit.USAGE

    @property
    def message(self) -> str:
        return str(self)


class UsageError(DiagError):
    """Bad options or a bad input file: exit 2, before any host or scheduler is touched."""


class PolicyError(UsageError, ValueError):
    """A bad policy file, option value or check id."""


class InventoryError(PolicyError):
    """A bad inventory or host entry."""


class OutDirError(PolicyError):
    """`--out DIR` cannot be written: raised before any host is touched."""


class FileError(UsageError, ValueError):
    """A file that cannot be read, decoded or parsed (YAML, JSON): the message names it."""


class StateError(UsageError):
    """A probe state file that cannot be read, parsed or locked."""


class OutputError(UsageError):
    """An output path (--prom, --audit, --state) that cannot be written."""


class InternalError(DiagError):
    """A bug in diagctl, reported without a traceback unless --debug."""

    exit_code = Exit.INTERNAL


class ConfigError(UsageError):
    """A bad config file or DIAGCTL_* variable: the message names the file (or variable) and key."""
