#!/usr/bin/env python3
"""Benchmark: registry writes per second on SQLite and PostgreSQL, 1 and 8 concurrent writer
processes, each next to its engine's raw commit rate measured in the same run.

Usage: python bench/registry_scale.py [--n 400] [--writers 1,8]
Needs Debian's postgresql (initdb, pg_ctl): a throwaway cluster on a Unix socket, fsync off
(so PostgreSQL figures are the CPU and round-trip cost, not a disk's flush rate; the SQLite file
keeps its default synchronous=FULL in WAL mode).

Per engine and writer count, `--n` writes in total:
  anchor   raw driver (sqlite3 / psycopg): one INSERT + COMMIT per write, same concurrency
  ingest   what `diagctl ingest --registry` does per judged host: one transaction that locks
           and upserts a new asset, appends its `registered` transition and one `l1` action
           with evidence pointers (after checking the same record was not ingested before)
Printed: writes/s, ms per host (wall / n), and the ratio ingest / anchor.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.ingest_dirs import CHECKS, write_collection
from tests.support.postgres import PgCluster

CTX = mp.get_context("fork")


def one_envelope(tmp: Path) -> str:
    """A real ingested health envelope (JSON), judged from a one-host collection."""
    from diag.health import options_for
    from diag.ingest import ingest_targets
    from diag.session import run_health
    from schemas.envelope import Envelope

    write_collection(tmp / "coll", 1)
    _, targets, transport = ingest_targets(tmp / "coll", None)
    got: list[Envelope] = []
    opts = options_for(None, tuple(CHECKS.split(",")), 30.0, 65536, "")
    run_health(targets, transport, opts, got.append, summary=False)
    return got[0].model_dump_json()


def _raw_sqlite(path: str, k: int, n: int) -> None:
    db = sqlite3.connect(path, isolation_level=None, timeout=60)
    for i in range(n):
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO t (host_id, reason) VALUES (?, ?)", (f"W{k}-{i}", "x"))
        db.execute("COMMIT")
    db.close()


def _raw_pg(dsn: str, k: int, n: int) -> None:
    import psycopg

    with psycopg.connect(dsn) as db:
        for i in range(n):
            db.execute("INSERT INTO t (host_id, x) VALUES (%s, %s)", (f"W{k}-{i}", "x"))
            db.commit()


def _ingest(url: str, env_json: str, k: int, n: int) -> None:
    from lifecycle.ingested import IngestRecorder
    from lifecycle.registry.store import open_registry
    from schemas.envelope import Envelope

    rec = IngestRecorder(open_registry(url, wait_s=60), "bench", {})
    base = Envelope.model_validate_json(env_json)
    for i in range(n):
        env = base.model_copy(deep=True)
        env.host.host_id = env.host.name = f"W{k}-{i}"
        rec.record(env)
    assert rec.report.recorded == n, rec.report


def timed(target: Callable[..., None], args: tuple[object, ...], writers: int, n: int) -> float:
    """Wall seconds for `writers` processes doing n // writers writes each."""
    procs = [CTX.Process(target=target, args=(*args, k, n // writers)) for k in range(writers)]
    t0 = time.perf_counter()
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    assert all(p.exitcode == 0 for p in procs)
    return time.perf_counter() - t0


def row(engine: str, writers: int, n: int, anchor_s: float, ingest_s: float) -> None:
    m = n // writers * writers
    print(
        f"{engine:<10} writers={writers}  anchor {m / anchor_s:7.0f} writes/s "
        f"({anchor_s / m * 1000:5.2f} ms)   ingest {m / ingest_s:6.0f} hosts/s "
        f"({ingest_s / m * 1000:5.2f} ms/host)   ratio {anchor_s / ingest_s:.2f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=400)
    ap.add_argument("--writers", default="1,8")
    args = ap.parse_args()
    counts = [int(w) for w in args.writers.split(",")]
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        env_json = one_envelope(tmp)
        for w in counts:
            raw = tmp / f"raw{w}.db"
            db = sqlite3.connect(raw)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, host_id TEXT, reason TEXT)")
            db.close()
            url = f"sqlite:///{tmp / f'reg{w}.db'}"
            from lifecycle.registry.store import open_registry

            open_registry(url)  # migrated before the clock starts, as `lifecycle migrate` does
            a = timed(_raw_sqlite, (str(raw),), w, args.n)
            row("sqlite", w, args.n, a, timed(_ingest, (url, env_json), w, args.n))
        pg = PgCluster()
        try:
            pg.start()
            for w in counts:
                raw_url = pg.new_db(f"raw{w}")
                from sqlalchemy import create_engine, text

                eng = create_engine(raw_url)
                with eng.begin() as c:
                    c.execute(text("CREATE TABLE t (id serial PRIMARY KEY, host_id text, x text)"))
                eng.dispose()
                url = pg.new_db(f"reg{w}")
                open_registry(url)
                dsn = f"dbname=raw{w} user=diag host={pg.dir} port=5432"
                a = timed(_raw_pg, (dsn,), w, args.n)
                row("postgresql", w, args.n, a, timed(_ingest, (url, env_json), w, args.n))
        finally:
            pg.remove()


if __name__ == "__main__":
    main()
