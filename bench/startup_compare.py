#!/usr/bin/env python3
"""Before/after: wall and CPU time (user+sys, children included) of `python -m diag.cli` for
`version`, `--help`, `health --local` and `reset-reason --local`, run from two source trees by
the same interpreter from bytecode caches (bench/bytecode.py), interleaved, next to
`python -c pass` (the anchor) from the same run.

Usage: git archive REV | tar -x -C /tmp/base
       python bench/startup_compare.py --base /tmp/base [--runs 10]
(`python -m` puts the current directory first on sys.path, so each tree runs its own code.)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bytecode import cached_env

ROOT = Path(__file__).resolve().parent.parent
CASES = {
    "python -c pass": ["-c", "pass"],
    "version": ["-m", "diag.cli", "version"],
    "--help": ["-m", "diag.cli", "--help"],
    "health --local": ["-m", "diag.cli", "health", "--local", "--json"],
    "reset-reason --local": ["-m", "diag.cli", "reset-reason", "--local", "--json"],
}
ENV = cached_env()  # one bytecode cache per tree: PYTHONPYCACHEPREFIX mirrors absolute paths


def once(argv: list[str], cwd: Path) -> tuple[float, float]:
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV
    )
    _, _status, ru = os.wait4(proc.pid, 0)
    return (time.perf_counter() - t0) * 1000, (ru.ru_utime + ru.ru_stime) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", type=Path, required=True, help="the 'before' source tree")
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    trees = {"before": args.base.resolve(), "after": ROOT}
    got: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for cwd in trees.values():  # fill the bytecode caches
        for argv in CASES.values():
            once([sys.executable, *argv], cwd)
    for _ in range(args.runs):
        for tree, cwd in trees.items():
            for name, argv in CASES.items():
                got.setdefault((tree, name), []).append(once([sys.executable, *argv], cwd))
    print(f"runs={args.runs} load1={os.getloadavg()[0]:.1f} medians in ms")
    head = ("command", "before wall", "after wall", "before CPU", "after CPU")
    print(f"{head[0]:<20} {head[1]:>11} {head[2]:>10} {head[3]:>10} {head[4]:>9}")
    for name in CASES:
        b, a = got[("before", name)], got[("after", name)]
        cols = [statistics.median(x[i] for x in runs) for i in (0, 1) for runs in (b, a)]
        print(f"{name:<20} {cols[0]:>11.0f} {cols[1]:>10.0f} {cols[2]:>10.0f} {cols[3]:>9.0f}")


if __name__ == "__main__":
    main()
