"""Human-first on a terminal, JSON in a pipe: the real `diagctl` run under a pseudo-terminal
(python's `pty`) and through a pipe; colour only on a terminal and never with NO_COLOR set."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from diag.artifacts import host_dirname

DIAGCTL = str(Path(sys.executable).parent / "diagctl")
HOSTS = ("gpu-01", "gpu-02", "gpu-07", "login")
MESSAGE = (
    "(replayed) no answer — host slow or unreachable; raise --timeout or check the network path"
)
HEAD = "(0 pass, 0 warn, 0 fail, 0 unknown, 0 error; N ms)"
MS = re.compile(r"; \d+ ms\)")
RED, RESET = "\x1b[31m", "\x1b[0m"


@pytest.fixture()
def recorded(tmp_path: Path) -> Path:
    """A replay directory of four hosts that timed out (envelope.json only)."""
    for name in HOSTS:
        hdir = tmp_path / "run" / host_dirname(name)
        hdir.mkdir(parents=True)
        env = {"host": {"name": name}, "errors": [{"code": "timeout", "message": "no answer"}]}
        (hdir / "envelope.json").write_text(json.dumps(env))
    return tmp_path / "run"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")}
    return {**env, "TERM": "xterm", **extra}


def in_pty(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run diagctl with stdout on a pseudo-terminal (stderr a pipe); its output and exit code."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [DIAGCTL, *args], stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.PIPE, env=env
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    rc = proc.wait(timeout=60)
    assert proc.stderr is not None
    proc.stderr.close()
    return rc, MS.sub("; N ms)", b"".join(chunks).decode().replace("\r\n", "\n"))


def in_pipe(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    res = subprocess.run(
        [DIAGCTL, *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    res.stdout = MS.sub("; N ms)", res.stdout)  # a replayed host's run time varies
    return res


def _table(down: str) -> list[str]:
    lines = []
    for name in HOSTS:
        lines += [f"{name}  {down}  {HEAD}", f"  error timeout: {MESSAGE}"]
    return lines


def _recap(mark: str, word: str) -> list[str]:
    return [
        "RECAP",
        f"  {mark}  timeout                    4 hosts  gpu-[01-02,07],login: (replayed) no answer",
        f"4 hosts: 4 {word}",
    ]


def test_terminal_gets_the_table_the_recap_and_colour(recorded: Path) -> None:
    rc, out = in_pty(["health", "--replay", str(recorded)], _env())
    down = f"{RED}UNREACHABLE{RESET}"
    assert rc == 4
    recap = _recap(f"{RED}DOWN{RESET}", f"{RED}unreachable{RESET}")
    assert out.splitlines() == _table(down) + recap


@pytest.mark.parametrize("no_color", ["1", "0", "false"])  # any non-empty value (no-color.org)
def test_no_color_keeps_the_table_plain(recorded: Path, no_color: str) -> None:
    rc, out = in_pty(["health", "--replay", str(recorded)], _env(NO_COLOR=no_color))
    assert rc == 4
    assert out.splitlines() == _table("UNREACHABLE") + _recap("DOWN", "unreachable")


def test_empty_no_color_still_colours(recorded: Path) -> None:
    _, out = in_pty(["health", "--replay", str(recorded)], _env(NO_COLOR=""))
    assert out.splitlines()[0] == f"gpu-01  {RED}UNREACHABLE{RESET}  {HEAD}"


def test_dumb_terminal_gets_no_colour(recorded: Path) -> None:
    _, out = in_pty(["health", "--replay", str(recorded)], _env(TERM="dumb"))
    assert "\x1b" not in out and out.splitlines()[-1] == "4 hosts: 4 unreachable"


def test_json_forced_on_a_terminal(recorded: Path) -> None:
    rc, out = in_pty(["health", "--replay", str(recorded), "--json"], _env())
    docs = [json.loads(line) for line in out.splitlines()]
    assert rc == 4 and "\x1b[" not in out
    assert [d["host"]["name"] for d in docs] == list(HOSTS)


def test_pipe_gets_jsonl_by_default(recorded: Path) -> None:
    res = in_pipe(["health", "--replay", str(recorded)], _env())
    docs = [json.loads(line) for line in res.stdout.splitlines()]
    assert res.returncode == 4 and [d["status"] for d in docs] == ["unreachable"] * 4


def test_human_forced_in_a_pipe_has_the_recap_but_no_colour(recorded: Path) -> None:
    res = in_pipe(["health", "--replay", str(recorded), "--human"], _env())
    assert res.stdout.splitlines() == _table("UNREACHABLE") + _recap("DOWN", "unreachable")


def test_one_host_has_no_recap(recorded: Path) -> None:
    for name in HOSTS[:-1]:
        (recorded / host_dirname(name) / "envelope.json").unlink()
        (recorded / host_dirname(name)).rmdir()
    res = in_pipe(["health", "--replay", str(recorded), "--human"], _env())
    assert res.stdout.splitlines() == _table("UNREACHABLE")[-2:]


TARGETS = """targets:
  - name: llama-a
    url: http://127.0.0.1:9
    model: m
    node: gpu-node-1
"""


@pytest.mark.parametrize(
    ("force", "readable"), [([], True), (["--json"], False), (["--human"], True)]
)
def test_probe_run_is_readable_on_a_terminal(
    tmp_path: Path, force: list[str], readable: bool
) -> None:
    (tmp_path / "t.yaml").write_text(TARGETS)
    files = [f"--{k}={tmp_path / k}" for k in ("state", "audit")]
    args = ["probe", "run", "--targets", str(tmp_path / "t.yaml"), *files, *force]
    _, out = in_pty(args, _env())
    line = out.splitlines()[0]
    if readable:
        assert line.startswith(f"llama-a              gpu-node-1     {RED}DOWN{RESET}     ttft")
    else:
        assert json.loads(line)["data"]["verdict"] == "down" and "\x1b[" not in out


def test_probe_run_in_a_pipe_is_jsonl(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(TARGETS)
    files = [f"--{k}={tmp_path / k}" for k in ("state", "audit")]
    res = in_pipe(["probe", "run", "--targets", str(tmp_path / "t.yaml"), *files], _env())
    assert json.loads(res.stdout.splitlines()[0])["data"]["verdict"] == "down"
