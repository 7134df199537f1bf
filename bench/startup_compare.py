#!/usr/bin/env python3
"""Before/after: wall and CPU time (user+sys, children included) of `python -m diag.cli` for
`version`, `--help`, `health --local` and `reset-reason --local`, run from two source trees by
the same interpreter from bytecode caches (bench/bytecode.py), interleaved, next to
`python -c pass` (the anchor) from the same run.

Usage: git archive REV | tar -x -C /tmp/base
       python bench/startup_compare.py --base /tmp/base [--runs 10]
(`python -m` puts the current directory first on sys.path, so each tree runs its own code.)
Installed as a user installs it (a venv of the base interpreter, `pip install` of the wheel):
       python bench/startup_compare.py --before /tmp/old/bin/diagctl --after /tmp/new/bin/diagctl
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bytecode import cached_env, interpreter_of

ROOT = Path(__file__).resolve().parent.parent
ARGS = {
    "version": ["version"],
    "--help": ["--help"],
    "health --local": ["health", "--local", "--json"],
    "reset-reason --local": ["reset-reason", "--local", "--json"],
}
CASES = {"python -c pass": ["-c", "pass"]} | {k: ["-m", "diag.cli", *v] for k, v in ARGS.items()}
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
    ap.add_argument("--base", type=Path, help="the 'before' source tree")
    ap.add_argument("--before", help="an installed 'before' diagctl (with --after)")
    ap.add_argument("--after", help="an installed 'after' diagctl (with --before)")
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    if args.before and args.after:  # each tree's own interpreter for python -c pass
        argvs = {
            tree: {"python -c pass": [interpreter_of(exe), "-c", "pass"]}
            | {k: [exe, *v] for k, v in ARGS.items()}
            for tree, exe in (("before", args.before), ("after", args.after))
        }
    elif args.base:
        argvs = {
            tree: {k: [sys.executable, *v] for k, v in CASES.items()}
            for tree in ("before", "after")
        }
    else:
        ap.error("give --base, or --before and --after")
    trees = {"before": args.base.resolve() if args.base else ROOT, "after": ROOT}
    got: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for tree, cwd in trees.items():  # fill the bytecode caches
        for argv in argvs[tree].values():
            once(argv, cwd)
    load0 = os.getloadavg()[0]
    for _ in range(args.runs):
        for tree, cwd in trees.items():
            for name, argv in argvs[tree].items():
                got.setdefault((tree, name), []).append(once(argv, cwd))
    load = f"load1={load0:.1f}..{os.getloadavg()[0]:.1f}"
    print(f"runs={args.runs} {load} medians in ms")
    head = ("command", "before wall", "after wall", "before CPU", "after CPU")
    print(f"{head[0]:<20} {head[1]:>11} {head[2]:>10} {head[3]:>10} {head[4]:>9}")
    for name in CASES:
        b, a = got[("before", name)], got[("after", name)]
        cols = [statistics.median(x[i] for x in runs) for i in (0, 1) for runs in (b, a)]
        print(f"{name:<20} {cols[0]:>11.0f} {cols[1]:>10.0f} {cols[2]:>10.0f} {cols[3]:>9.0f}")


if __name__ == "__main__":
    main()
