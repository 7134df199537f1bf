#!/usr/bin/env python3
"""Benchmark: wall time of `diagctl health --local` and the size of its envelope.

Usage: python bench/health_local.py [--runs 20]
Prints the median and p90 wall time over N runs (each a fresh process, as cron would start it),
the envelope size in bytes, and `diagctl --help` time for comparison.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time


def _time(argv: list[str], runs: int) -> tuple[list[float], bytes]:
    walls, out = [], b""
    for _ in range(runs):
        t0 = time.perf_counter()
        res = subprocess.run(argv, capture_output=True, check=False)
        walls.append((time.perf_counter() - t0) * 1000)
        out = res.stdout
        if res.returncode not in (0, 3):
            sys.exit(f"{argv} exited {res.returncode}: {res.stderr.decode()[-300:]}")
    return walls, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    exe = shutil.which("diagctl")
    base = [exe] if exe else [sys.executable, "-m", "diag.cli"]
    _time([*base, "health", "--local"], 2)  # warm the page cache
    walls, out = _time([*base, "health", "--local"], args.runs)
    helps, _ = _time([*base, "--help"], args.runs)
    q = statistics.quantiles(walls, n=10)
    print(f"host: {os.uname().nodename} cores={os.cpu_count()} python={sys.version.split()[0]}")
    print(
        f"diagctl health --local  runs={args.runs}  median={statistics.median(walls):.0f} ms  "
        f"p90={q[8]:.0f} ms  min={min(walls):.0f} ms"
    )
    print(f"envelope: {len(out.rstrip())} bytes, {len(out.splitlines())} line(s)")
    print(f"diagctl --help          median={statistics.median(helps):.0f} ms")


if __name__ == "__main__":
    main()
