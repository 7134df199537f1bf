"""`version`, `--version` and the root `--help` answered before click (diag/fastpath/text.py):
the same bytes as click's own output, and click's wherever the fast path could differ."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from diag.fastpath import text
from diag.fastpath.text import HELP_FILE, answer, terminal_columns

NO_CONFIG = {"XDG_CONFIG_HOME": "/nonexistent/diagctl-test", "HOME": "/nonexistent"}
FAST = "from diag.cli.entry import main; main()"
CLICK = "from diag.cli.main import main; main()"


def _run(code: str, *args: str, columns: str = "") -> bytes:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIAGCTL_")} | NO_CONFIG
    env.pop("COLUMNS", None)
    if columns:
        env["COLUMNS"] = columns
    res = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, timeout=60, check=True, env=env
    )
    return res.stdout


def test_root_help_file_is_clicks_help(request: pytest.FixtureRequest) -> None:
    """Regenerated from the command table with `pytest --regen` when a command is added or its
    summary changes."""
    clicks = _run(CLICK, "--help", columns="80")
    if request.config.getoption("--regen"):
        Path(HELP_FILE).write_bytes(clicks)
    assert Path(HELP_FILE).read_bytes() == clicks, "rerun this test with --regen"


@pytest.mark.parametrize(
    "args,columns",
    [
        (("--help",), "80"),
        (("--help",), "250"),
        (("-h",), "120"),
        (("--help",), "79"),  # narrower: click wraps it, so click answers
        (("--help",), "50"),
        (("--version",), ""),
        (("version",), ""),
        (("version", "--json"), ""),
    ],
)
def test_fast_output_is_clicks(args: tuple[str, ...], columns: str) -> None:
    assert _run(FAST, *args, columns=columns) == _run(CLICK, *args, columns=columns)


@pytest.mark.parametrize(
    "args,env,fast",
    [
        (["--help"], {"COLUMNS": "80"}, True),
        (["--help"], {"COLUMNS": "79"}, False),
        (["-h"], {"COLUMNS": "300"}, True),
        (["--help", "health"], {"COLUMNS": "100"}, False),
        (["health", "--help"], {"COLUMNS": "100"}, False),
        (["--version"], {}, True),
        (["version"], NO_CONFIG, True),
        (["version", "--json"], NO_CONFIG, True),
        (["version", "--json", "--debug"], NO_CONFIG, False),
        (["version", "--help"], NO_CONFIG, False),
        (["version"], {**NO_CONFIG, "DIAGCTL_CONFIG": "/x.yaml"}, False),
        (["--debug", "version"], NO_CONFIG, False),
        ([], NO_CONFIG, False),
    ],
)
def test_which_arguments_are_answered_here(
    args: list[str], env: dict[str, str], fast: bool
) -> None:
    assert (answer(args, env) is not None) is fast


@pytest.mark.parametrize("columns", ["", "0", "-3", "abc", "1", "80", "200"])
def test_terminal_columns_is_shutils(columns: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", columns)
    assert terminal_columns(os.environ) == shutil.get_terminal_size().columns


def test_a_version_from_a_config_file_goes_to_click(tmp_path: Path) -> None:
    home = tmp_path / "cfg"
    (home / "diagctl").mkdir(parents=True)
    (home / "diagctl" / "config.yaml").write_text("{}\n")
    assert answer(["version"], {"XDG_CONFIG_HOME": str(home)}) is None


def test_version_text() -> None:
    info = text.version_info()
    assert text.version_text(False) == (
        f"diagctl {info['diagctl']}\nPython {info['python']} "
        f"({info['implementation']}, {sys.executable})\nPlatform {info['platform']}\n"
    )
