"""The `--out DIR` tree: one directory per host whatever its name, run.json out of their way,
an unusable DIR refused up front, and no temp file left behind by a killed writer."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from diag.artifacts import host_dir, host_name_of, write_host
from diag.checks import REGISTRY
from diag.files import STALE_TMP_S, atomic_write, clean_stale_tmp
from diag.hostcheck import HealthOptions
from diag.policy import Policy
from diag.session import run_health
from diag.transport.base import Target
from diag.transport.local import LocalTransport
from schemas.envelope import Envelope
from tests.support.components import require_binaries, require_root

DIAG = [sys.executable, "-m", "diag.cli"]
NAMES = ["a/b", "a_b", "a b", "..", ".", "run.json", "hosts", "x" * 300, "x" * 299 + "y", "ü"]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*DIAG, *args], capture_output=True, text=True, timeout=120)


def test_ten_awkward_host_names_get_ten_directories_and_all_replay(tmp_path: Path) -> None:
    out = tmp_path / "run1"
    opts = HealthOptions(policy=Policy.load(), checks=[REGISTRY["host.cpu_load"]])
    got: list[Envelope] = []
    res = run_health([Target(name=n) for n in NAMES], LocalTransport(), opts, got.append, out)
    assert sorted(e.host.name for e in got) == sorted(NAMES)
    assert sorted(p.name for p in out.iterdir()) == ["hosts", "run.json"]
    dirs = sorted(p.name for p in (out / "hosts").iterdir())
    assert len(dirs) == 10
    assert {host_name_of(d) for d in dirs} == {*NAMES[:7], NAMES[9], None}
    assert json.loads((out / "run.json").read_text())["hosts"] == 10
    for name in NAMES:
        env = json.loads((host_dir(out, name) / "envelope.json").read_text())
        assert env["host"]["name"] == name, "each directory holds its own host"
    again = _cli("health", "--replay", str(out), "--check", "host.cpu_load")
    assert again.returncode == int(res.exit), again.stderr
    replayed = [json.loads(line)["host"]["name"] for line in again.stdout.splitlines()]
    assert sorted(replayed) == sorted(NAMES)


def _in_namespace(script: str) -> subprocess.CompletedProcess[str]:
    """Run `script` as root in a private mount namespace (a real read-only / full tmpfs)."""
    require_root("a private tmpfs (read-only / disk-full cases) needs a mount namespace")
    require_binaries("unshare", why="util-linux's unshare(1) makes the mount namespace")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, timeout=120, env=env
    )


@pytest.mark.parametrize(
    ("setup", "out", "message"),
    [
        ("touch {d}/file", "{d}/file/sub", "not writable: Not a directory"),
        ("mount -t tmpfs -o ro,size=1m tmpfs {d}", "{d}/o", "not writable: Read-only file system"),
        (
            "mount -t tmpfs -o size=256k tmpfs {d} && mkdir {d}/o && "
            "(dd if=/dev/zero of={d}/fill bs=4k 2>/dev/null || true)",
            "{d}/o",
            "not writable: No space left on device",
        ),
        (
            "mount -t tmpfs -o size=256k tmpfs {d} && mkdir {d}/o && "
            "head -c 253952 /dev/zero > {d}/fill",
            "{d}/o",
            "only 8192 bytes free (No space left on device)",
        ),
    ],
    ids=["under-a-file", "read-only", "disk-full", "nearly-full"],
)
def test_unusable_out_is_exit_2_before_any_host(
    tmp_path: Path, setup: str, out: str, message: str
) -> None:
    d = tmp_path / "m"
    d.mkdir()
    target = out.format(d=d)
    cli = " ".join([*DIAG, "health", "--local", "--out", target])
    res = _in_namespace(f"{setup.format(d=d)} && {cli}")
    assert res.returncode == 2, res.stderr
    assert res.stdout == "", "no host was run"
    assert res.stderr.strip() == f"Error: --out {target}: {message}"


def _tmp_name(pid: int) -> str:
    return f".envelope.json.diagctl-{pid}-0123abcd.tmp"


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


@pytest.mark.parametrize(
    ("name", "age_s", "removed"),
    [
        (_tmp_name(_dead_pid()), 0, True),  # its writer is gone
        (_tmp_name(os.getppid()), 0, False),  # a live writer's temp is never touched
        (_tmp_name(os.getppid()), STALE_TMP_S - 30, False),
        (_tmp_name(os.getppid()), STALE_TMP_S + 30, True),  # no write takes this long
        (_tmp_name(os.getpid()), 0, False),  # our own: another write of ours may be using it
        (".envelope.json.abc12345.tmp", STALE_TMP_S + 30, False),  # not our pattern
        ("envelope.json.diagctl-1-0123abcd.tmp", STALE_TMP_S + 30, False),  # not hidden
        (".x.diagctl-12-0123abcd.tmp.keep", STALE_TMP_S + 30, False),
    ],
)
def test_stale_temp_files_boundaries(
    tmp_path: Path, name: str, age_s: float, removed: bool
) -> None:
    path = tmp_path / name
    path.write_bytes(b"half")
    old = time.time() - age_s
    os.utime(path, (old, old))
    assert clean_stale_tmp(tmp_path) == ([name] if removed else [])
    assert path.exists() is not removed


_KILLED_WRITER = """
import os, sys, time
from pathlib import Path
from diag.artifacts import write_host
os.fsync = lambda fd: (print("writing", flush=True), time.sleep(60))
write_host(Path(sys.argv[1]), "node 1", '{"x": 1}', {})
"""


def test_a_writer_killed_mid_write_leaves_a_temp_the_next_run_removes(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLED_WRITER, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None and proc.stdout.readline() == "writing\n"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    hdir = host_dir(tmp_path, "node 1")
    left = [p.name for p in hdir.iterdir()]
    assert left == [f".envelope.json.diagctl-{proc.pid}-{left[0][-12:-4]}.tmp"]
    write_host(tmp_path, "node 1", '{"x": 2}', {})
    assert [p.name for p in hdir.iterdir()] == ["envelope.json"]
    assert (hdir / "envelope.json").read_text() == '{"x": 2}\n'


def test_atomic_write_temp_name_is_recognisable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    real = os.replace

    def spy(src: str | Path, dst: str | Path) -> None:
        seen.append(Path(src).name)
        real(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    atomic_write(tmp_path / "run.json", b"{}")
    assert len(seen) == 1 and seen[0].startswith(f".run.json.diagctl-{os.getpid()}-")
    assert (
        seen[0].endswith(".tmp") and len(seen[0]) == len(f".run.json.diagctl-{os.getpid()}-") + 12
    )
