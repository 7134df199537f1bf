"""Benchmark: `mu report` over 10 million synthetic usage rows, next to the DuckDB SQL path
(`mu sql --dialect duckdb`) and a plain-Python loop, in one run. Each path runs in its own
process so that its peak memory (ru_maxrss) is its own. Needs the [mu] extra.

    python bench/mu.py [--rows 10000000] [--loop-rows 1000000]

The input is Parquet (typed columns, UTC timestamps) with 1% duplicated request ids and 1%
bad rows. Targets (issue 13): 10M rows in under 30 s with peak memory under 2 GiB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CAL = ROOT / "tests" / "fixtures" / "mu" / "calibration.yaml"
BY = ("tenant", "model")


def generate(path: Path, rows: int) -> None:
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(13)
    writer = None
    step = 1_000_000
    for start in range(0, rows, step):
        n = min(step, rows - start)
        ids = np.arange(start, start + n)
        ids[rng.random(n) < 0.01] -= 1  # ~1% duplicates of the previous id
        prompt = rng.integers(1, 8000, n)
        prompt[rng.random(n) < 0.01] = -1  # ~1% bad rows
        df = pd.DataFrame(
            {
                "request_id": pd.Series(ids).astype(str).radd("r"),
                "timestamp": pd.Timestamp("2026-12-01T00:00:00Z")
                + pd.to_timedelta(rng.integers(0, 86400, n), unit="s"),
                "tenant": pd.Categorical.from_codes(
                    rng.integers(0, 50, n), [f"t{i}" for i in range(50)]
                ),
                "model": pd.Categorical.from_codes(
                    rng.integers(0, 3, n), ["llama-8b", "llama-70b", "mistral-7b"]
                ),
                "node": pd.Categorical.from_codes(
                    rng.integers(0, 64, n), [f"gpu-{i}" for i in range(64)]
                ),
                "hardware": "h100",
                "prompt_tokens": prompt,
                "completion_tokens": rng.integers(1, 1000, n),
                "cached_tokens": (np.clip(prompt, 0, None) * rng.random(n) * 0.5).astype("int64"),
            }
        )
        table = pa.Table.from_pandas(df, preserve_index=False)
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    assert writer is not None
    writer.close()


def run_report(path: Path) -> dict[str, float]:
    from lifecycle.accounting import calibration
    from lifecycle.accounting.report import ReportOptions, run
    from lifecycle.accounting.usage import IngestOptions

    env = run(
        calibration.load(CAL),
        ReportOptions(
            usage=(path,),
            calibration_name=str(CAL),
            by=BY,
            bucket="1h",
            ingest=IngestOptions(chunk_rows=1_000_000),
        ),
    )
    return {"rows": env.data.rows_read, "mu": sum(g.mu for g in env.data.groups)}


def run_duckdb(path: Path) -> dict[str, float]:
    import duckdb

    from lifecycle.accounting import calibration
    from lifecycle.accounting.sqlgen import render

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute(f"CREATE VIEW usage AS SELECT * FROM read_parquet('{path}')")
    rows = con.execute(render(calibration.load(CAL), "duckdb", "usage", BY, 3600, "cal")).fetchall()
    total = con.execute("SELECT count(*) FROM usage").fetchone()
    return {"rows": float(total[0]) if total else 0.0, "mu": sum(r[-2] for r in rows)}


def run_loop(path: Path, limit: int) -> dict[str, float]:
    """The obvious Python: one dict per row, a seen set, a dict of sums."""
    import pyarrow.parquet as pq

    from lifecycle.accounting import calibration
    from lifecycle.accounting.model import Usage, request_mu

    pairs = {(p.model, p.hardware): p for p in calibration.load(CAL).pairs}
    seen: set[str] = set()
    sums: dict[tuple[str, str, int], float] = {}
    n = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=100_000):
        for r in batch.to_pylist():
            n += 1
            if n > limit:
                return {"rows": limit, "mu": sum(sums.values())}
            p, c, o = r["prompt_tokens"], r["cached_tokens"], r["completion_tokens"]
            if p < 0 or o < 0 or c > p or r["request_id"] in seen:
                continue
            seen.add(r["request_id"])
            pair = pairs.get((r["model"], r["hardware"]))
            if pair is not None:
                key = (r["tenant"], r["model"], int(r["timestamp"].timestamp()) // 3600)
                sums[key] = sums.get(key, 0.0) + request_mu(pair, Usage(p, c, o))
    return {"rows": n, "mu": sum(sums.values())}


def child(kind: str, path: Path, limit: int) -> None:
    t0 = time.perf_counter()
    out = (
        {"report": run_report, "duckdb": run_duckdb}[kind](path)
        if kind != "loop"
        else run_loop(path, limit)
    )
    out["seconds"] = time.perf_counter() - t0
    use = resource.getrusage(resource.RUSAGE_SELF)
    out["cpu_s"] = use.ru_utime + use.ru_stime  # every thread; imports included
    out["peak_mib"] = use.ru_maxrss / 1024
    print(json.dumps(out))


def measure(kind: str, path: Path, limit: int) -> dict[str, float]:
    res = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--file", str(path), "--loop-rows", str(limit)],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(res.stdout.strip().splitlines()[-1]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--loop-rows", type=int, default=1_000_000)
    ap.add_argument("--child", choices=["report", "duckdb", "loop"])
    ap.add_argument("--file", type=Path)
    a = ap.parse_args()
    if a.child:
        return child(a.child, a.file, a.loop_rows)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "usage.parquet"
        t0 = time.perf_counter()
        generate(path, a.rows)
        print(
            f"generated {a.rows:,} rows ({path.stat().st_size / 2**20:.0f} MiB Parquet) "
            f"in {time.perf_counter() - t0:.1f} s"
        )
        res = {k: measure(k, path, a.loop_rows) for k in ("report", "duckdb", "loop")}
    anchor = res["duckdb"]["rows"] / res["duckdb"]["cpu_s"]
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (wall time is shared)")
    for kind, r in res.items():
        rate = r["rows"] / r["cpu_s"]
        print(
            f"{kind:<7} {r['rows']:>12,.0f} rows  wall {r['seconds']:6.1f} s  "
            f"CPU {r['cpu_s']:6.1f} s  {rate:>10,.0f} rows/CPU-s ({rate / anchor:.2f}x duckdb)  "
            f"peak {r['peak_mib']:,.0f} MiB  MU {r['mu']:,.1f}"
        )
    budget = 30 * a.rows / 1e7
    rep = res["report"]
    for what, secs in (("wall", rep["seconds"]), ("CPU", rep["cpu_s"])):
        ok = secs < budget and rep["peak_mib"] < 2048
        print(
            f"target mu report ({a.rows:,} rows < {budget:g} s {what}, peak < 2 GiB): "
            f"{'met' if ok else 'MISSED'}"
        )


if __name__ == "__main__":
    main()
