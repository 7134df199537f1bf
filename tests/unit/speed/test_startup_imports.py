"""What `diagctl version`, `--help` and `health --local` import (the last answered before click
is imported, diag/fastpath/): a real subprocess runs the CLI
as `python -m diag.cli` would and prints its `sys.modules` at exit (`-X importtime` would miss
modules loaded through importlib, as lazy commands are). Each heavy module below costs tens of
milliseconds to import and is needed only by other commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import click
import pytest

from diag.cli.main import COMMANDS, cli
from tests.support.exit_report import report_on_exit

# Needed by no command below: SSH, fan-out, exporters, probes, web and data stacks.
NEVER = (
    "asyncio",
    "asyncssh",
    "fabric",
    "paramiko",
    "cryptography",
    "prometheus_client",
    "jinja2",
    "sqlalchemy",
    "pandas",
    "httpx",
    "aiohttp",
    "probes",
    "exporters",
    "diag.workers",
    "diag.fleet.fanout",
    "diag.fleet.inventory",
    "diag.fleet.recap",
)
# `health --local` on the fast path: no click, no models, no YAML (the policy's JSON copy).
FAST_LOCAL = ("click", "pydantic", "yaml", "diag.cli.main", "diag.policy", "schemas.envelope")
# `health --local` reads the shipped YAML policy and builds pydantic envelopes; `version` and
# `--help` print text and need neither, nor any check.
TEXT_ONLY = ("pydantic", "yaml", "schemas", "diag.checks", "diag.health")
# Other tools' command modules: `--help` imports them to list their one-line help.
OTHER_TOOLS = ("diag.cli.probe", "diag.cli.export", "diag.cli.health")

WRAPPER = report_on_exit('sys.stderr.write("MODULES " + json.dumps(sorted(sys.modules)) + "\\n")')
WRAPPER += """
import json, runpy
sys.argv = ["diagctl", *sys.argv[1:]]
runpy.run_module("diag.cli", run_name="__main__")
"""


def imported(*args: str) -> set[str]:
    """Modules loaded by `diagctl ARGS` with no config file (the config layers validate a file
    with pydantic when there is one)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIAGCTL_")}
    env["XDG_CONFIG_HOME"] = "/nonexistent/diagctl-test"
    env["COLUMNS"] = "100"  # click's help at its full width (diag/fastpath/text.py)
    res = subprocess.run(
        [sys.executable, "-c", WRAPPER, *args], capture_output=True, text=True, timeout=120, env=env
    )
    assert res.returncode in (0, 3, 6), res.stderr[-2000:]
    (line,) = [ln for ln in res.stderr.splitlines() if ln.startswith("MODULES ")]
    return set(json.loads(line.removeprefix("MODULES ")))


def heavy(names: set[str], banned: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if any(n == b or n.startswith(b + ".") for b in banned))


@pytest.mark.parametrize(
    "args,banned",
    [
        # answered before click (diag/fastpath/text.py): no click, no command module
        (("version",), (*NEVER, *TEXT_ONLY, *OTHER_TOOLS, "click", "diag.cli.main")),
        (("version", "--json"), (*NEVER, *TEXT_ONLY, *OTHER_TOOLS, "click", "diag.cli.main")),
        (("--help",), (*NEVER, *TEXT_ONLY, *OTHER_TOOLS, "click", "diag.cli.main")),
        # answered before click (diag/fastpath/): no click, no pydantic, no envelope models
        (
            ("health", "--local", "--json"),
            (*NEVER, *FAST_LOCAL),
        ),
        (
            ("reset-reason", "--local", "--json"),
            (*NEVER, *FAST_LOCAL, "diag.checks", "diag.health", "diag.reset_reason"),
        ),
    ],
)
def test_command_imports_nothing_heavy(args: tuple[str, ...], banned: tuple[str, ...]) -> None:
    names = imported(*args)
    assert {"diag.cli.main", "diag.fastpath.run", "diag.fastpath.text"} & names  # it measures
    assert heavy(names, banned) == []


def test_every_lazy_command_resolves_and_is_listed() -> None:
    ctx = click.Context(cli)
    assert set(COMMANDS) <= set(cli.list_commands(ctx))
    for name, spec in COMMANDS.items():
        cmd = cli.get_command(ctx, name)
        assert isinstance(cmd, click.Command), spec
        assert cmd.name == name, f"{spec} is named {cmd.name!r}, registered as {name!r}"


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BARE = report_on_exit('sys.stderr.write("MODULES " + " ".join(sorted(sys.modules)) + "\\n")')
BARE += """
sys.path.insert(0, sys.argv.pop(1))
sys.argv = ["diagctl", *sys.argv[1:]]
from diag.cli.entry import main
main()
"""
# Small stdlib modules an installed diagctl's fast paths import for nothing they need.
SMALL = ("pathlib", "tempfile", "importlib.resources", "importlib.metadata", "shutil")
# Needed by the `--local` fast paths only on rare branches (a crashed check, the nvidia-smi
# fallbacks) or not at all (the host name is uname's): 1-2 ms each at every start.
RARE = ("socket", "traceback", "textwrap", "csv", "xml")


@pytest.mark.parametrize(
    "args,banned",
    [
        (("version",), (*SMALL, "dataclasses", "inspect")),
        (("--help",), (*SMALL, "dataclasses", "inspect", "typing", "re")),
        (("health", "--local", "--json"), (*SMALL, *RARE)),
        (("reset-reason", "--local", "--json"), (*SMALL, *RARE)),
    ],
)
def test_fast_paths_without_site_import_no_small_extras(
    args: tuple[str, ...], banned: tuple[str, ...]
) -> None:
    """Run with `-S` (no site-packages, so no editable-install finder, which imports pathlib
    itself): what the fast paths import of their own accord, as from a wheel install."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIAGCTL_")}
    env |= {"XDG_CONFIG_HOME": "/nonexistent/diagctl-test", "COLUMNS": "100"}
    res = subprocess.run(
        [sys.executable, "-S", "-c", BARE, ROOT, *args],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert res.returncode in (0, 3, 6), res.stderr[-2000:]
    (line,) = [ln for ln in res.stderr.splitlines() if ln.startswith("MODULES ")]
    names = set(line.removeprefix("MODULES ").split())
    assert "diag.fastpath.text" in names
    assert heavy(names, banned) == []
