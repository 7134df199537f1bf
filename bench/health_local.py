#!/usr/bin/env python3
"""Benchmark: wall time of `diagctl health --local`, `--help` and `version`, each next to its
anchors from the same run: `python3 -c pass` (bare interpreter start) and
bench/nvidia_standin.py, a STAND-IN for NVIDIA's `spark_diagctl.py health` (collects, judges
nothing; the real script is not in this repository).

Usage: python bench/health_local.py [--runs 20] [--diagctl PATH]
Runs interleave (one of each command per round, so load spikes hit them alike); prints the
median and p90 per command, its ratio to the stand-in and to `python3 -c pass`, and the
envelope size.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _once(argv: list[str]) -> tuple[float, bytes]:
    t0 = time.perf_counter()
    res = subprocess.run(argv, capture_output=True, check=False)
    wall = (time.perf_counter() - t0) * 1000
    if res.returncode not in (0, 3, 6):
        sys.exit(f"{argv} exited {res.returncode}: {res.stderr.decode()[-300:]}")
    return wall, res.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--diagctl", default=shutil.which("diagctl") or "", help="[diagctl on PATH]")
    args = ap.parse_args()
    base = [args.diagctl] if args.diagctl else [sys.executable, "-m", "diag.cli"]
    # The interpreter itself (not a pyenv shim, not the venv): what `python3` runs on a host.
    py3 = getattr(sys, "_base_executable", "") or sys.executable
    cases = {
        "python3 -c pass": [py3, "-c", "pass"],
        "stand-in spark_diagctl.py health": [py3, str(HERE / "nvidia_standin.py"), "health"],
        "diagctl health --local": [*base, "health", "--local", "--json"],
        "diagctl --help": [*base, "--help"],
        "diagctl version": [*base, "version"],
    }
    walls: dict[str, list[float]] = {k: [] for k in cases}
    out = b""
    for argv in cases.values():  # warm the page cache
        _once(argv)
    for _ in range(args.runs):
        for name, argv in cases.items():
            wall, stdout = _once(argv)
            walls[name].append(wall)
            if name == "diagctl health --local":
                out = stdout
    med = {k: statistics.median(v) for k, v in walls.items()}
    load = os.getloadavg()[0]
    print(f"host: {os.uname().nodename} cores={os.cpu_count()} python={sys.version.split()[0]} ")
    print(f"runs={args.runs} (interleaved) load1={load:.1f} diagctl={' '.join(base)}")
    print(f"{'command':<34} {'median ms':>9} {'p90 ms':>7} {'/stand-in':>9} {'/python3':>8}")
    for name, v in walls.items():
        p90 = statistics.quantiles(v, n=10)[8] if len(v) > 1 else v[0]
        print(
            f"{name:<34} {med[name]:>9.0f} {p90:>7.0f} "
            f"{med[name] / med['stand-in spark_diagctl.py health']:>8.2f}x "
            f"{med[name] / med['python3 -c pass']:>7.2f}x"
        )
    print(f"envelope: {len(out.rstrip())} bytes, {len(out.splitlines())} line(s)")


if __name__ == "__main__":
    main()
