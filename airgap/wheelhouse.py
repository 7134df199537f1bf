"""The wheelhouse: diagctl's wheel, every runtime dependency per target platform, and the build
backend, fetched with pip from an index (PyPI by default) on a machine that has a network.

pip resolves for a foreign target with `pip download --only-binary=:all: --platform TAG
--python-version X.Y --implementation cp --abi cpXY`. pip 23 does not widen a `manylinux_2_28`
tag to older glibc tags by itself, so every accepted tag is passed (`manylinux_2_28`,
`manylinux_2_17` and its alias `manylinux2014`): wheels for glibc >= 2.28 (RHEL 8, Ubuntu
20.04, Debian 10 and later). pip is run isolated from this machine's pip configuration and
PIP_* variables, so the build does not depend on who runs it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from diag.errors import UsageError

ARCHES = ("x86_64", "aarch64")
PYTHONS = ("3.10", "3.11", "3.12")
MANYLINUX = ("manylinux_2_28", "manylinux_2_17", "manylinux2014")
GLIBC_MIN = "2.28"
BUILD_BACKEND = ("setuptools", "wheel")
PIP_TIMEOUT_S = 900.0
SOURCE_PARTS = ("pyproject.toml", "README.md", "diag", "probes", "lifecycle", "schemas")
SOURCE_PARTS_MORE = ("exporters", "playbooks", "airgap")


@dataclass(frozen=True)
class Platform:
    arch: str
    python: str

    @property
    def tag(self) -> str:
        return "cp" + self.python.replace(".", "")

    def pip_args(self) -> list[str]:
        tags = [a for t in MANYLINUX for a in ("--platform", f"{t}_{self.arch}")]
        return [*tags, "--python-version", self.python, "--implementation", "cp", "--abi", self.tag]


def parse_platform(text: str) -> Platform:
    """`x86_64-3.11` (ARCH-PYTHON)."""
    arch, _, python = text.partition("-")
    if arch not in ARCHES or python not in PYTHONS:
        raise UsageError(
            f"--platform {text!r}: expected ARCH-PYTHON with ARCH in {', '.join(ARCHES)} "
            f"and PYTHON in {', '.join(PYTHONS)} (e.g. x86_64-3.11)"
        )
    return Platform(arch, python)


def all_platforms() -> list[Platform]:
    return [Platform(a, p) for a in ARCHES for p in PYTHONS]


def pip_env() -> dict[str, str]:
    """This process's environment without PIP_*, and no pip configuration file at all."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    return env


def pip(args: list[str], what: str) -> None:
    cmd = [sys.executable, "-m", "pip", *args, "--isolated", "--disable-pip-version-check"]
    try:
        proc = subprocess.run(
            cmd, env=pip_env(), capture_output=True, text=True, timeout=PIP_TIMEOUT_S
        )
    except subprocess.TimeoutExpired:
        raise UsageError(f"{what}: pip took longer than {PIP_TIMEOUT_S:.0f} s") from None
    if proc.returncode != 0:
        lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("ERROR")] or [
            (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        ]
        raise UsageError(f"{what}: pip failed: {lines[0]}")


def copy_source(source: Path, dest: Path) -> None:
    """The files a wheel is built from, without .venv, .git or earlier build output."""
    if not (source / "pyproject.toml").is_file():
        raise UsageError(f"--source {source}: no pyproject.toml (a diagctl checkout is needed)")
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info", "build", "*.pyc")
    for part in (*SOURCE_PARTS, *SOURCE_PARTS_MORE):
        src = source / part
        if src.is_dir():
            shutil.copytree(src, dest / part, ignore=skip)
        elif src.is_file():
            shutil.copy2(src, dest / part)


def build_backend(wheels: Path, index_url: str) -> list[str]:
    """setuptools and wheel (pure Python): they also build diagctl's own wheel, below."""
    before = set(os.listdir(wheels))
    pip(
        ["download", "--no-deps", "--only-binary=:all:", "--index-url", index_url,
         "-d", str(wheels), *BUILD_BACKEND],
        "build backend",
    )  # fmt: skip
    return sorted(set(os.listdir(wheels)) - before)


def diagctl_wheel(source: Path, wheels: Path) -> Path:
    """Build diagctl's wheel offline, with the build backend from the wheelhouse only."""
    with tempfile.TemporaryDirectory(prefix="diagctl-airgap-src-") as tmp:
        copy_source(source, Path(tmp))
        pip(
            ["wheel", "--no-deps", "--no-index", "--find-links", str(wheels),
             "-w", str(wheels), tmp],
            "diagctl wheel",
        )  # fmt: skip
    built = sorted(wheels.glob("diagctl-*.whl"))
    if len(built) != 1:
        raise UsageError(f"diagctl wheel: expected one diagctl-*.whl, found {len(built)}")
    return built[0]


def _download_one(plat: Platform, requirement: str, dest: Path, index_url: str) -> list[str]:
    dest.mkdir(parents=True)
    pip(
        ["download", "--only-binary=:all:", *plat.pip_args(), "--index-url", index_url,
         "-d", str(dest), requirement],
        f"platform {plat.arch}-{plat.python}",
    )  # fmt: skip
    return sorted(os.listdir(dest))


def download(
    platforms: list[Platform], requirement: str, wheels: Path, index_url: str
) -> dict[Platform, list[str]]:
    """Resolve and fetch every platform at once (pip waits on the network, not the CPU), each
    into its own directory, then merge them into `wheels` (one copy of a shared wheel)."""
    with tempfile.TemporaryDirectory(prefix="diagctl-airgap-dl-") as tmp:
        dirs = {p: Path(tmp) / f"{p.arch}-{p.python}" for p in platforms}
        with ThreadPoolExecutor(max_workers=len(platforms)) as pool:
            futures = {
                p: pool.submit(_download_one, p, requirement, dirs[p], index_url) for p in platforms
            }
            found = {p: f.result() for p, f in futures.items()}
        for plat, names in found.items():
            for name in names:
                if not (wheels / name).exists():
                    shutil.copy2(dirs[plat] / name, wheels / name)
    return found
