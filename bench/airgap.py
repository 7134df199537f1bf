#!/usr/bin/env python3
"""Air-gap bundle: size per platform and offline install time, each next to an anchor from the
same run.

Builds a bundle (`diagctl airgap build`, from PyPI) for the platforms given, then:
  size      the wheels each platform installs, next to diagctl's own wheel (the anchor)
  install   `install.sh` into a fresh prefix inside `unshare -n` (no network), next to the
            anchor: a bare `python -m venv` + `pip install --no-index --find-links wheels`
            of the same requirement, also offline, without any of install.sh's checks.
Needs root (unshare -n) and PyPI for the build.
Usage: python bench/airgap.py [--platform x86_64-3.11 --platform aarch64-3.12]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DIAGCTL = str(Path(sys.executable).parent / "diagctl")


def timed(cmd: list[str], env: dict[str, str] | None = None) -> float:
    t0 = time.monotonic()
    subprocess.run(cmd, check=True, capture_output=True, env=env)
    return time.monotonic() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    host = f"{platform.machine()}-{sys.version_info[0]}.{sys.version_info[1]}"
    ap.add_argument("--platform", action="append", default=None)
    plats = ap.parse_args().platform or [host]
    tmp = Path(tempfile.mkdtemp(prefix="diagctl-bench-airgap-"))
    t0 = time.monotonic()
    out = subprocess.run(
        [DIAGCTL, "airgap", "build", "--out", str(tmp / "out"), "--json",
         *[a for p in plats for a in ("--platform", p)]],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    build_s = time.monotonic() - t0
    info = json.loads(out)
    bundle = Path(info["bundle"])
    own = next((bundle / "wheels").glob("diagctl-*.whl")).stat().st_size
    print(f"# cpus={os.cpu_count()} python={platform.python_version()} build={build_s:.1f} s")
    print(f"archive {info['archive_bytes'] / 1e6:.1f} MB for {len(plats)} platform(s)")
    print(f"{'platform':<14}{'wheels MB':>10}{'diagctl wheel MB':>18}{'ratio':>8}")
    for plat, size in info["platform_wheel_bytes"].items():
        print(f"{plat:<14}{size / 1e6:>10.1f}{own / 1e6:>18.2f}{size / own:>8.1f}")
    if host not in info["platform_wheel_bytes"]:
        return
    inst = timed(["unshare", "-n", "bash", str(bundle / "install.sh"), "--prefix",
                  str(tmp / "opt"), "--bin-dir", str(tmp / "bin")])  # fmt: skip
    env = {"PATH": os.environ["PATH"], "PIP_CONFIG_FILE": os.devnull, "HOME": str(tmp)}
    venv = tmp / "anchor"
    anchor = timed(["unshare", "-n", sys.executable, "-m", "venv", str(venv)]) + timed(
        ["unshare", "-n", str(venv / "bin" / "python"), "-m", "pip", "install", "--isolated",
         "--no-index", "--find-links", str(bundle / "wheels"), "-q", "diagctl[airgap]"],
        env,
    )  # fmt: skip
    print(f"offline install.sh {inst:.1f} s; anchor venv+pip {anchor:.1f} s; "
          f"ratio {inst / anchor:.2f}")  # fmt: skip
    subprocess.run(["rm", "-rf", str(tmp)], check=True)


if __name__ == "__main__":
    main()
