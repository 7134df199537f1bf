"""`mu sql`: DuckDB runs the rendered SQL and returns exactly what `mu report` (pandas) returns
on the same data; the Spark and Trino renderings are pinned as text (golden files).

Spark is not run: pyspark (~300 MB) plus a JVM start on this 2-core machine does not fit the
suite's time budget (docs/model-units.md says so)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from diag.cli import cli
from lifecycle.accounting import calibration
from lifecycle.accounting.sqlgen import render
from tests.unit.mu.report_support import FIXTURES, GOLDEN, report


def _usage(path: Path, rows: int = 3000, seed: int = 5) -> Path:
    """Random request logs with duplicates (exact copies), bad rows, an unpriced pair and
    prompts on both sides of the context threshold."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    models = np.array(["llama-8b", "llama-70b", "mistral-7b"])
    df = pd.DataFrame(
        {
            "request_id": [f"r{i}" for i in range(rows)],
            "timestamp": pd.Timestamp("2026-12-01T00:00:00Z")
            + pd.to_timedelta(rng.integers(0, 6 * 3600, rows), unit="s"),
            "tenant": rng.choice(["acme", "globex", "initech"], rows),
            "model": models[rng.integers(0, 3, rows)],
            "node": rng.choice(["gpu-1", "gpu-2"], rows),
            "hardware": "h100",
            "prompt_tokens": rng.integers(-5, 6000, rows),
            "completion_tokens": rng.integers(0, 800, rows),
        }
    )
    df["cached_tokens"] = (df["prompt_tokens"].clip(lower=0) * rng.random(rows) * 1.05).astype(
        "int64"
    )
    df = pd.concat([df, df.iloc[:200]], ignore_index=True)  # retried lines, logged twice
    df.to_parquet(path)
    return path


@pytest.mark.parametrize(
    "by,bucket,secs",
    [
        (("tenant", "model"), "1h", 3600),
        (("node",), None, 0),
        (("tenant", "hardware"), "15min", 900),
    ],
)
def test_duckdb_equals_pandas(
    tmp_path: Path, by: tuple[str, ...], bucket: str | None, secs: int
) -> None:
    import duckdb

    data = _usage(tmp_path / "usage.parquet")
    cal = calibration.load(FIXTURES / "calibration.yaml")
    con = duckdb.connect()
    con.execute(f"CREATE VIEW usage AS SELECT * FROM read_parquet('{data}')")
    sql = render(cal, "duckdb", "usage", by, secs, "calibration.yaml")
    got = con.execute(sql).fetchall()
    groups = report(data, by=by, bucket=bucket)["data"]["groups"]
    assert len(got) == len(groups) > 1
    for row, g in zip(got, groups, strict=True):
        n = len(by)
        bucket_iso = row[n].isoformat().replace("+00:00", "Z") if row[n] is not None else None
        assert (tuple(row[:n]), bucket_iso) == (tuple(g["keys"][k] for k in by), g["bucket"])
        assert tuple(row[n + 1 : n + 5]) == (
            g["requests"],
            g["input_tokens"],
            g["cached_tokens"],
            g["output_tokens"],
        )
        assert round(row[n + 5], 6) == pytest.approx(g["mu"], abs=1e-6)
        assert row[n + 6] == g["unpriced_requests"]


@pytest.mark.parametrize("dialect", ["duckdb", "spark", "trino"])
def test_rendering_is_pinned(request: pytest.FixtureRequest, dialect: str) -> None:
    res = CliRunner().invoke(
        cli,
        [
            "mu",
            "sql",
            "--dialect",
            dialect,
            "--calibration",
            str(FIXTURES / "calibration.yaml"),
            "--table",
            "lake.llm.usage",
            "--by",
            "tenant,model",
            "--bucket",
            "1h",
        ],
    )
    assert res.exit_code == 0, res.output
    path = GOLDEN / f"sql_{dialect}.sql"
    text = res.stdout.replace(str(FIXTURES), "FIXTURES")
    if request.config.getoption("--regen") or not path.exists():
        path.write_text(text)
    assert text == path.read_text()


@pytest.mark.parametrize(
    "args,message",
    [
        (
            ["--table", "usage; DROP TABLE x"],
            "--table 'usage; DROP TABLE x': not a [catalog.][schema.]table name",
        ),
        (["--by", "tenant,1=1"], "--by 1=1: unknown key (use tenant, model, node, hardware)"),
    ],
)
def test_injection_is_refused(args: list[str], message: str) -> None:
    res = CliRunner().invoke(
        cli,
        [
            "mu",
            "sql",
            "--dialect",
            "trino",
            "--calibration",
            str(FIXTURES / "calibration.yaml"),
            *args,
        ],
    )
    assert (res.exit_code, res.stdout, res.stderr) == (2, "", f"Error: {message}\n")


def test_quotes_and_line_breaks_from_the_file_stay_inert(tmp_path: Path) -> None:
    import duckdb

    cal = calibration.parse(
        {
            "reference": "r\nDROP TABLE usage; --",
            "pairs": [{"model": "it's", "hardware": "h", "a_in": 1, "a_cached": 0, "a_out": 2}],
        },
        "x",
    )
    sql = render(cal, "duckdb", "usage", ("model",), 0, "x")
    assert "('it''s', 'h', 1.0, 0.0, 2.0, NULL, 1.0)" in sql
    assert "\nDROP" not in sql
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE usage AS SELECT 'a' AS request_id, "
        "TIMESTAMPTZ '2026-12-01 00:00:00+00' AS timestamp, "
        "'t' AS tenant, 'it''s' AS model, 'n' AS node, 'h' AS hardware, 3 AS prompt_tokens, "
        "4 AS completion_tokens, NULL::INTEGER AS cached_tokens"
    )
    assert con.execute(sql).fetchall() == [("it's", None, 1, 3, 0, 4, 11.0, 0)]
