"""`diagctl version`, `version --json`, `--version`, `--help` and `-h` answered without click.

The root help is click's own output, recorded in root_help.txt (a test regenerates it from the
command table with `pytest --regen` and fails when click would print anything else), printed
only where click would format it at that width: a terminal of 80 columns or more, or no
terminal. Anything else (a narrower terminal, another option, a config file or DIAGCTL_*
variable) is click's.
"""

from __future__ import annotations

import os
import sys

import diag

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (and re)
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

HELP_FILE = os.path.join(os.path.dirname(__file__), "root_help.txt")
HELP_WIDTH = 80  # click's HelpFormatter max_width: wider terminals get the same text


def version_info() -> dict[str, str]:
    """What `diagctl version` reports (the click command prints this too)."""
    import platform

    return {
        "diagctl": diag.__version__,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
        "platform": platform.platform(),
    }


def version_text(as_json: bool) -> str:
    info = version_info()
    if as_json:
        import json

        return json.dumps(info) + "\n"
    return (
        f"diagctl {info['diagctl']}\n"
        f"Python {info['python']} ({info['implementation']}, {info['executable']})\n"
        f"Platform {info['platform']}\n"
    )


def terminal_columns(env: Mapping[str, str]) -> int:
    """shutil.get_terminal_size().columns, which click sizes its help by: $COLUMNS when it is a
    positive number, else stdout's terminal, else 80."""
    try:
        columns = int(env.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns > 0:
        return columns
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80


def config_possible(env: Mapping[str, str]) -> bool:
    """A config file or a DIAGCTL_* variable may set defaults only click's path applies."""
    if any(k.startswith("DIAGCTL_") for k in env):
        return True
    home = env.get("HOME", "/")
    xdg = env.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    files = ("/etc/diagctl/config.yaml", os.path.join(xdg, "diagctl", "config.yaml"))
    return any(os.path.exists(p) for p in files)


def answer(args: Sequence[str], env: Mapping[str, str]) -> str | None:
    """The text for these arguments, or None when click must answer."""
    if list(args) in (["--help"], ["-h"]):
        if terminal_columns(env) < HELP_WIDTH:
            return None
        with open(HELP_FILE, encoding="utf-8") as fh:
            return fh.read()
    if list(args) == ["--version"]:
        return f"diagctl, version {diag.__version__}\n"
    if list(args) in (["version"], ["version", "--json"]) and not config_possible(env):
        return version_text(as_json=len(args) == 2)
    return None
