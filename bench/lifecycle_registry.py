#!/usr/bin/env python3
"""Benchmark: the lifecycle registry's write path next to raw sqlite3, same run, same disk.

Usage: python bench/lifecycle_registry.py [--n 300] [--writers 4]
Figures (each the median of 3 rounds, in writes per second):
  anchor    raw sqlite3: one INSERT + COMMIT per write, WAL, synchronous=FULL (the default)
  record    Registry.record(): one action appended (a BEGIN IMMEDIATE transaction that checks
            the asset exists, inserts, and reads the row back)
  move      Registry.move(): read, compare-and-set the version, append the transition
  parallel  `--writers` processes appending at once to one file (total writes per second)
The ratios record/anchor and move/anchor are the figures to watch: the price of SQLAlchemy
Core and of the checks over the database's own commit cost.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from lifecycle.phases import Decision, Phase, Verdict
from lifecycle.registry.store import AssetInfo, open_registry


def anchor(path: Path, n: int) -> float:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, host_id TEXT, reason TEXT)")
    t0 = time.perf_counter()
    for i in range(n):
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO t (host_id, reason) VALUES (?, ?)", ("SN1", str(i)))
        db.execute("COMMIT")
    dt = time.perf_counter() - t0
    db.close()
    return n / dt


def record(path: Path, n: int) -> float:
    reg = open_registry(f"sqlite:///{path}")
    reg.register(AssetInfo("SN1", "gpu-1"), "bench")
    t0 = time.perf_counter()
    for i in range(n):
        reg.record("SN1", "note", "pass", "bench", str(i))
    return n / (time.perf_counter() - t0)


def move(path: Path, n: int) -> float:
    reg = open_registry(f"sqlite:///{path}")
    reg.register(AssetInfo("SN1", "gpu-1"), "bench")
    d = Decision(Verdict.MOVE)
    phases = [Phase.PROVISION, Phase.INCIDENT, Phase.MONITOR]  # any cycle: the store checks no gate
    t0 = time.perf_counter()
    for i in range(n):
        reg.move("SN1", phases[i % 3], i + 1, d, "bench")
    return n / (time.perf_counter() - t0)


def _writer(url: str, n: int, k: int) -> None:
    reg = open_registry(url, wait_s=60)
    for i in range(n):
        reg.record("SN1", "note", "pass", f"w{k}", str(i))


def parallel(path: Path, n: int, writers: int) -> float:
    url = f"sqlite:///{path}"
    open_registry(url).register(AssetInfo("SN1", "gpu-1"), "bench")
    ctx = mp.get_context("fork")
    procs = [ctx.Process(target=_writer, args=(url, n // writers, k)) for k in range(writers)]
    t0 = time.perf_counter()
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    return (n // writers) * writers / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--writers", type=int, default=4)
    args = ap.parse_args()
    rows: dict[str, list[float]] = {"anchor": [], "record": [], "move": [], "parallel": []}
    for _ in range(3):
        with tempfile.TemporaryDirectory() as d:
            rows["anchor"].append(anchor(Path(d) / "a.db", args.n))
            rows["record"].append(record(Path(d) / "r.db", args.n))
            rows["move"].append(move(Path(d) / "m.db", args.n))
            rows["parallel"].append(parallel(Path(d) / "p.db", args.n, args.writers))
    med = {k: statistics.median(v) for k, v in rows.items()}
    for k, v in med.items():
        print(f"{k:<9} {v:8.0f} writes/s   ratio to anchor {v / med['anchor']:.2f}")


if __name__ == "__main__":
    main()
