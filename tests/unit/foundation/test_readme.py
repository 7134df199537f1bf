"""The README stays true: two Quick start commands, CI runs the same test command, and every
`diagctl ...` line in it names commands and options that exist."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest

from diag.cli import cli

ROOT = Path(__file__).parents[3]
README = (ROOT / "README.md").read_text()
BLOCKS = re.findall(r"```(?:console|bash|sh)\n(.*?)```", README, re.S)


def _quick_start() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```console\n(.*?)```", section, re.S)
    assert block, "Quick start needs a console block"
    return [ln for ln in block.group(1).splitlines() if ln.strip()]


def test_quick_start_is_exactly_two_commands() -> None:
    cmds = _quick_start()
    assert len(cmds) == 2, cmds
    assert "install" in cmds[0]
    assert (ROOT / cmds[0].split()[1]).is_file() or "pip install" in cmds[0]


def test_ci_runs_the_readme_test_command() -> None:
    test_cmd = _quick_start()[1]
    ci = (ROOT / ".ci" / "run").read_text()
    assert test_cmd in ci or test_cmd.replace("bash ", "") in ci, (test_cmd, ci)


def test_install_script_runs_health_local() -> None:
    script = (ROOT / "scripts" / "install.sh").read_text()
    assert "diagctl health --local" in script


def _diagctl_lines() -> list[list[str]]:
    lines = []
    for block in BLOCKS:
        for ln in block.splitlines():
            ln = ln.strip().removeprefix("$ ")
            m = re.search(r"(?:^|&& |\| )(diagctl .*?)(?:$| \||&&)", ln)
            if m:
                lines.append(shlex.split(m.group(1).split(" #")[0]))
    return lines


def test_readme_has_diagctl_examples() -> None:
    assert len(_diagctl_lines()) >= 2


@pytest.mark.parametrize("argv", _diagctl_lines(), ids=lambda a: " ".join(a))
def test_readme_command_names_real_options(argv: list[str]) -> None:
    cmd: click.Command = cli
    words = argv[1:]
    while isinstance(cmd, click.Group) and words and words[0] in cmd.commands:
        cmd = cmd.commands[words.pop(0)]
    assert not isinstance(cmd, click.Group) or not words or words[0].startswith("-"), argv
    known = {o for p in cmd.params for o in (*p.opts, *p.secondary_opts)} | {"--help", "-h"}
    known |= {o for p in cli.params for o in p.opts}
    for w in words:
        if w.startswith("-"):
            assert w.split("=")[0] in known, f"{w} is not an option of {' '.join(argv[:2])}"
