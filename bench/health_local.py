#!/usr/bin/env python3
"""Benchmark: wall time of `diagctl health --local`, `--help` and `version`, each next to its
anchors from the same run: `python3 -c pass` (bare interpreter start) and
bench/nvidia_standin.py, a STAND-IN for NVIDIA's `spark_diagctl.py health` (collects, judges
nothing; the real script is not in this repository).

Usage: python bench/health_local.py [--runs 20] [--diagctl PATH]
Runs interleave (one of each command per round, so load spikes hit them alike); prints the
median and p90 per command, its ratio to the stand-in and to `python3 -c pass`, its median CPU
time (user+sys, children included), and the envelope size. Every command runs from bytecode
caches, as an installed one does (bench/bytecode.py).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bytecode import cached_env, interpreter_of

HERE = Path(__file__).resolve().parent


ENV = cached_env()


def _cpu_ms() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (ru.ru_utime + ru.ru_stime) * 1000


def _once(argv: list[str]) -> tuple[float, float, bytes]:
    """Wall ms, CPU ms (user+sys of the command and its children, which it reaps) and stdout."""
    t0, c0 = time.perf_counter(), _cpu_ms()
    res = subprocess.run(argv, capture_output=True, check=False, env=ENV)
    wall, cpu = (time.perf_counter() - t0) * 1000, _cpu_ms() - c0
    if res.returncode not in (0, 3, 6):
        sys.exit(f"{argv} exited {res.returncode}: {res.stderr.decode()[-300:]}")
    return wall, cpu, res.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--diagctl", default=shutil.which("diagctl") or "", help="[diagctl on PATH]")
    args = ap.parse_args()
    base = [args.diagctl] if args.diagctl else [sys.executable, "-m", "diag.cli"]
    py3 = interpreter_of(args.diagctl)  # the anchors run under diagctl's own interpreter
    cases = {
        "python3 -c pass": [py3, "-c", "pass"],
        "stand-in spark_diagctl.py health": [py3, str(HERE / "nvidia_standin.py"), "health"],
        "diagctl health --local": [*base, "health", "--local", "--json"],
        "diagctl --help": [*base, "--help"],
        "diagctl version": [*base, "version"],
    }
    walls: dict[str, list[float]] = {k: [] for k in cases}
    cpus: dict[str, list[float]] = {k: [] for k in cases}
    out = b""
    for argv in cases.values():  # warm the page cache
        _once(argv)
    for _ in range(args.runs):
        for name, argv in cases.items():
            wall, cpu, stdout = _once(argv)
            walls[name].append(wall)
            cpus[name].append(cpu)
            if name == "diagctl health --local":
                out = stdout
    med = {k: statistics.median(v) for k, v in walls.items()}
    load = os.getloadavg()[0]
    print(f"host: {os.uname().nodename} cores={os.cpu_count()} python={sys.version.split()[0]} ")
    print(f"runs={args.runs} (interleaved) load1={load:.1f} diagctl={' '.join(base)}")
    print(f"anchors run by {py3}")
    head = f"{'command':<34} {'median ms':>9} {'p90 ms':>7} {'/stand-in':>9} {'/python3':>8}"
    print(f"{head} {'CPU ms':>6}")
    for name, v in walls.items():
        p90 = statistics.quantiles(v, n=10)[8] if len(v) > 1 else v[0]
        print(
            f"{name:<34} {med[name]:>9.0f} {p90:>7.0f} "
            f"{med[name] / med['stand-in spark_diagctl.py health']:>8.2f}x "
            f"{med[name] / med['python3 -c pass']:>7.2f}x "
            f"{statistics.median(cpus[name]):>6.0f}"
        )
    print(f"envelope: {len(out.rstrip())} bytes, {len(out.splitlines())} line(s)")


if __name__ == "__main__":
    main()
