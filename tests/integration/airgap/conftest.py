"""Shared by the airgap integration tests: one real bundle, built from PyPI for this machine's
platform plus one foreign platform (the whole six-platform build is
test_all_platforms.py, opt-in), and helpers that run the bundle's install.sh with no network
at all (`unshare -n`) and a hostile pip environment."""

from __future__ import annotations

import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.components import require, require_binaries, require_root

DIAGCTL = str(Path(sys.executable).parent / "diagctl")
HOST = f"{platform.machine()}-{sys.version_info[0]}.{sys.version_info[1]}"
FOREIGN = "aarch64-3.12" if platform.machine() == "x86_64" else "x86_64-3.12"
# What a machine's pip configuration may say; install.sh must not listen to any of it.
HOSTILE_PIP = {
    "PIP_INDEX_URL": "http://127.0.0.1:9/simple",
    "PIP_FIND_LINKS": "/nonexistent/wheels",
    "PIP_CONSTRAINT": "/nonexistent/constraints.txt",
    "PIP_NO_INDEX": "0",
}


@dataclass(frozen=True)
class Built:
    out: Path
    archive: Path
    archive_sha256: str
    sums_sha256: str
    info: dict[str, object]


def pypi_reachable() -> bool:
    try:
        socket.create_connection(("pypi.org", 443), timeout=5).close()
        return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    require_binaries("unshare", "flock", "sha256sum", "runuser", why="util-linux, coreutils")
    require_root("install.sh runs in a new network namespace (unshare -n)")
    require("PyPI", pypi_reachable(), "the bundle is built from https://pypi.org")
    out = tmp_path_factory.mktemp("airgap") / "out"
    cmd = [DIAGCTL, "airgap", "build", "--out", str(out), "--platform", HOST,
           "--platform", FOREIGN, "--json"]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    return Built(out, Path(info["archive"]), info["archive_sha256"], info["sums_sha256"], info)


def extract(archive: Path, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tar:
        tar.extractall(dest, filter="tar")
    (root,) = [p for p in dest.iterdir() if p.is_dir()]
    return root


@pytest.fixture
def bundle(built: Built, tmp_path: Path) -> Path:
    """A fresh copy of the bundle directory, free to tamper with."""
    return extract(built.archive, tmp_path / "bundle")


def install(
    bundle: Path, *args: str, netns: bool = True, user: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root"), **HOSTILE_PIP}
    cmd = ["bash", str(bundle / "install.sh"), *args]
    if user:
        cmd = ["runuser", "-u", user, "--", *cmd]
    if netns:
        cmd = ["unshare", "-n", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)


def snapshot(root: Path) -> dict[str, str]:
    """Every path under an install root with its link target or size: what must not change."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        out[rel] = f"-> {os.readlink(p)}" if p.is_symlink() else str(p.stat().st_size)
    return out


def rewrite_sums(bundle: Path) -> str:
    """Regenerate SHA256SUMS as a careful attacker would; its new digest."""
    from airgap.bundle import write_sums

    return write_sums(bundle)


def python_of(version: str) -> str | None:
    """A real CPython of that minor version on this machine, if there is one."""
    for cand in (shutil.which(f"python{version}"), *sorted(
        str(p) for p in Path("/root/.pyenv/versions").glob(f"{version}.*/bin/python{version}")
    )):  # fmt: skip
        if cand and subprocess.run([cand, "-c", "pass"], capture_output=True).returncode == 0:
            return cand
    return None
