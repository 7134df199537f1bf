"""What a new user types: examples in every --help, -f, comma lists, global options after the
subcommand, `diagctl version`, shell completion, and an --out that is named like a file."""

from __future__ import annotations

import json
import os
import platform
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

import diag
import diag.health
from diag.cli import cli
from diag.cli.main import hoist_globals

DIAGCTL = Path(sys.executable).parent / "diagctl"


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [path]
    for name, cmd in group.commands.items():
        if isinstance(cmd, click.Group):
            out += _commands(cmd, (*path, name))
        else:
            out.append((*path, name))
    return out


def _resolve(path: tuple[str, ...]) -> click.Command:
    cmd: click.Command = cli
    for name in path:
        assert isinstance(cmd, click.Group)
        cmd = cmd.commands[name]
    return cmd


def _examples(cmd: click.Command) -> list[str]:
    epilog = cmd.epilog or ""
    assert "Examples:" in epilog, f"{cmd.name}: no Examples: epilog"
    return [ln.strip() for ln in epilog.split("Examples:", 1)[1].splitlines() if ln.strip()]


def _options(cmd: click.Command) -> set[str]:
    return {o for p in cmd.params for o in (*p.opts, *p.secondary_opts)} | {"--help", "-h"}


@pytest.mark.parametrize("path", _commands(cli), ids=lambda p: " ".join(p) or "diagctl")
def test_every_help_has_examples_that_name_real_options(path: tuple[str, ...]) -> None:
    lines = _examples(_resolve(path))
    assert lines, path
    for line in lines:
        argv = shlex.split(line)
        assert argv[0] == "diagctl", line
        words = [w for w in argv[1:] if w not in ("--debug",)]
        if words[:1] == ["--config"]:
            words = words[2:]
        cmd: click.Command = cli
        while isinstance(cmd, click.Group) and words and words[0] in cmd.commands:
            cmd = cmd.commands[words.pop(0)]
        shown = tuple(argv[1 : len(argv) - len(words)])
        assert all(w in shown for w in path), f"{line!r} is not an example of {path}"
        known = _options(cmd) | _options(cli)
        for word in words:
            if word.startswith("-"):
                assert word.split("=")[0] in known, f"{line!r}: {word} is not an option"
    res = CliRunner().invoke(cli, [*path, "--help"])
    assert "Examples:\n" in res.output and f"    {lines[0]}\n" in res.output


class Captured(Exception):
    pass


def _health(args: list[str], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def options_for(policy: Path | None, check_ids: tuple[str, ...], *rest: Any) -> None:
        seen["check_ids"] = check_ids

    def targets(local: bool, replay: Path | None, fleet: Any, opts: Any) -> Any:
        seen["fleet"] = fleet
        seen["debug"] = click.get_current_context().find_root().params["debug"]
        raise Captured

    monkeypatch.setattr(diag.health, "options_for", options_for)
    monkeypatch.setattr(diag.health, "health_targets", targets)
    res = CliRunner().invoke(cli, ["health", *args, "--debug"])
    assert isinstance(res.exception, Captured), res.output
    return seen


def test_f_is_forks(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _health(["-H", "h", "-f", "7"], monkeypatch)["fleet"].forks == 7
    assert _health(["-H", "h", "--forks", "9"], monkeypatch)["fleet"].forks == 9


def test_comma_lists_wherever_an_option_repeats(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _health(["-H", "a, b", "-H", "c", "--check", "gpu.xid,host.cpu_load"], monkeypatch)
    assert seen["fleet"].hosts == ("a", "b", "c")
    assert seen["check_ids"] == ("gpu.xid", "host.cpu_load")
    again = _health(["-H", "a", "--check", "gpu.xid", "--check", "host.cpu_load"], monkeypatch)
    assert again["check_ids"] == seen["check_ids"]


@pytest.mark.parametrize(
    "args,message",
    [
        (["--check", "gpu.xid,"], "Error: --check 'gpu.xid,': empty item in a comma list"),
        (["--check", ","], "Error: --check ',': empty item in a comma list"),
        (["-H", "a,,b"], "Error: --hosts 'a,,b': empty item in a comma list"),
    ],
)
def test_an_empty_comma_item_is_an_error_not_all_checks(args: list[str], message: str) -> None:
    res = CliRunner().invoke(cli, ["health", "--local", *args])
    assert (res.exit_code, res.output) == (2, message + "\n")


@pytest.mark.parametrize(
    "given,hoisted",
    [
        (["health", "--local", "--debug"], ["--debug", "health", "--local"]),
        (["probe", "run", "--config", "c.yaml", "--targets", "t"],
         ["--config", "c.yaml", "probe", "run", "--targets", "t"]),
        (["health", "--config=c.yaml", "-H", "h"], ["--config=c.yaml", "health", "-H", "h"]),
        (["--debug", "health", "--local"], ["--debug", "health", "--local"]),
        (["health", "--", "--debug"], ["health", "--", "--debug"]),
        (["health", "--config"], ["health", "--config"]),
    ],
)  # fmt: skip
def test_global_options_move_before_the_subcommand(given: list[str], hoisted: list[str]) -> None:
    assert hoist_globals(given) == hoisted


def test_debug_after_the_subcommand(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _health(["--local"], monkeypatch)["debug"] is True


def test_config_after_the_subcommand(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("forks: 5\n")
    res = CliRunner().invoke(cli, ["config", "show", "--json", "--config", str(cfg)])
    assert json.loads(res.output)["settings"]["forks"] == {"value": 5, "source": str(cfg)}


def test_version_text_and_json() -> None:
    res = CliRunner().invoke(cli, ["version"])
    assert res.output.splitlines() == [
        f"diagctl {diag.__version__}",
        f"Python {platform.python_version()} ({platform.python_implementation()}, "
        f"{sys.executable})",
        f"Platform {platform.platform()}",
    ]
    doc = json.loads(CliRunner().invoke(cli, ["version", "--json"]).output)
    assert doc == {
        "diagctl": diag.__version__,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
        "platform": platform.platform(),
    }


def _complete(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(DIAGCTL)], env={**os.environ, **env}, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    "shell,line",
    [
        ("bash", "complete -o nosort -F _diagctl_completion diagctl"),
        ("zsh", "compdef _diagctl_completion diagctl"),
        ("fish", "complete --no-files --command diagctl --arguments"),
    ],
)
def test_completion_script_generates(shell: str, line: str) -> None:
    res = _complete(_DIAGCTL_COMPLETE=f"{shell}_source")
    assert res.returncode == 0, res.stderr
    assert any(ln.strip().startswith(line) for ln in res.stdout.splitlines()), res.stdout


def test_completion_completes_commands_and_options() -> None:
    res = _complete(_DIAGCTL_COMPLETE="bash_complete", COMP_WORDS="diagctl hea", COMP_CWORD="1")
    assert res.stdout.splitlines() == ["plain,health"]
    res = _complete(
        _DIAGCTL_COMPLETE="bash_complete", COMP_WORDS="diagctl health --for", COMP_CWORD="2"
    )
    assert res.stdout.splitlines() == ["plain,--forks"]


@pytest.mark.parametrize("name", ["result.json", "run.jsonl", "r.YAML", "out.txt"])
def test_out_named_like_a_file_is_refused(tmp_path: Path, name: str) -> None:
    out = tmp_path / name
    res = CliRunner().invoke(cli, ["health", "--local", "--out", str(out)])
    assert res.exit_code == 2
    assert res.output == (
        f"Error: --out {out}: --out names a directory (hosts/<host>/envelope.json, run.json); "
        f"for one JSONL file redirect stdout instead: > {name}\n"
    )
    assert not out.exists()


def test_out_that_already_is_a_directory_is_kept(tmp_path: Path) -> None:
    out = tmp_path / "run.json"
    out.mkdir()
    res = CliRunner().invoke(
        cli, ["health", "--local", "--check", "host.cpu_load", "--out", str(out)]
    )
    assert res.exit_code in (0, 3), res.output
    assert (out / "run.json").is_file()
