#!/usr/bin/env python3
"""Benchmark: wall time of `diagctl reset-reason --local` next to its anchors, same run.

Usage: python bench/reset_reason.py [--runs 15]
Anchors: `python3 -c pass` (interpreter start) and a STAND-IN for NVIDIA's
reset_reason_reporter.py: a stdlib script written here that does what that tool is described
to do (previous boot's journal and kernel log, a look at pstore, keyword matching, one JSON
line). It is not NVIDIA's code, which is not available here. Each figure is the median over N
fresh processes; the ratio diagctl / stand-in is the target (<= 1.5).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from bytecode import cached_env, interpreter_of

STAND_IN = r"""
import json, os, subprocess
def run(argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ""
journal = run(["journalctl", "-b", "-1", "-n", "200", "--no-pager"])
kernel = run(["journalctl", "-k", "-b", "-1", "--no-pager"])
pstore = os.listdir("/sys/fs/pstore") if os.path.isdir("/sys/fs/pstore") else []
text = journal + kernel
if not journal.strip():
    reason, conf = "power_loss", 0.5
elif "Kernel panic" in text or pstore:
    reason, conf = "kernel_panic", 0.9
elif "watchdog" in text.lower():
    reason, conf = "watchdog_reset", 0.8
elif "reboot" in text.lower():
    reason, conf = "planned_reboot", 0.9
else:
    reason, conf = "power_loss", 0.5
print(json.dumps({"reason": reason, "confidence": conf}))
"""


ENV = cached_env()


def median_ms(argv: list[str], runs: int) -> float:
    walls = []
    for _ in range(runs):
        t0 = time.perf_counter()
        res = subprocess.run(argv, capture_output=True, check=False, env=ENV)
        walls.append((time.perf_counter() - t0) * 1000)
        if res.returncode not in (0, 3):
            sys.exit(f"{argv} exited {res.returncode}: {res.stderr.decode()[-300:]}")
    return statistics.median(walls)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--diagctl", default=shutil.which("diagctl") or "", help="[diagctl on PATH]")
    args = ap.parse_args()
    ours = [args.diagctl] if args.diagctl else [sys.executable, "-m", "diag.cli"]
    py3 = interpreter_of(args.diagctl)  # the anchors run under diagctl's own interpreter
    ours += ["reset-reason", "--local", "--json"]
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as fh:
        fh.write(STAND_IN)
    try:
        stand_in = [py3, fh.name]
        for argv in (ours, stand_in):
            median_ms(argv, 2)  # warm the page cache
        # Interleaved rounds, so that load from others on the machine hits all three alike.
        rounds = [
            (median_ms([py3, "-c", "pass"], 1), median_ms(stand_in, 1), median_ms(ours, 1))
            for _ in range(args.runs)
        ]
    finally:
        os.unlink(fh.name)
    base, theirs, mine = (statistics.median(col) for col in zip(*rounds, strict=True))
    print(f"host: {os.uname().nodename} cores={os.cpu_count()} python={sys.version.split()[0]}")
    print(f"anchors run by {py3}")
    print(f"python3 -c pass                        median={base:.0f} ms  (anchor)")
    print(f"stand-in reset_reason_reporter.py      median={theirs:.0f} ms  ({theirs / base:.1f}x)")
    print(f"diagctl reset-reason --local           median={mine:.0f} ms  ({mine / base:.1f}x)")
    print(f"diagctl / stand-in: {mine / theirs:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
