"""`mu sql`: the `mu report` aggregation as SQL (DuckDB, Spark SQL, Trino), rendered with
jinja2 from the calibration, so billions of rows are accounted where they already live.

Identifiers are checked, literals quoted here: nothing from the calibration file reaches the
SQL text unescaped. Duplicate request ids keep their earliest row (pandas keeps the first one
read: the same when duplicates are copies, as retried log lines are).
"""

from __future__ import annotations

import re
from typing import Literal

from diag.errors import UsageError
from schemas.mu import CalibrationFile

Dialect = Literal["duckdb", "spark", "trino"]
BUCKET = {
    "duckdb": "to_timestamp(floor(epoch(ts) / {s}) * {s})",
    "spark": "timestamp_seconds(CAST(floor(unix_timestamp(ts) / {s}) * {s} AS BIGINT))",
    "trino": "from_unixtime(floor(to_unixtime(ts) / {s}) * {s})",
}
TABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,2}")
KEYS = ("tenant", "model", "node", "hardware")


def lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def comment(value: str) -> str:
    """Text for a `--` comment: a line break would end the comment and start SQL."""
    return " ".join(value.splitlines())


def num(value: float) -> str:
    return repr(float(value))


def render(cal: CalibrationFile, dialect: Dialect, table: str, by: tuple[str, ...],
           bucket_seconds: int, calibration_name: str) -> str:  # fmt: skip
    import jinja2

    if not TABLE.fullmatch(table):
        raise UsageError(f"--table {table!r}: not a [catalog.][schema.]table name")
    unknown = [k for k in by if k not in KEYS]
    if unknown:
        raise UsageError(f"--by {','.join(unknown)}: unknown key (use {', '.join(KEYS)})")
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("lifecycle.accounting", "sql"),
        undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True,
    )  # fmt: skip
    env.filters.update(lit=lit, num=num)
    pairs = [
        {"model": p.model, "hardware": p.hardware, "a_in": p.a_in, "a_cached": p.a_cached,
         "a_out": p.a_out, "threshold": p.context.threshold_tokens if p.context else "NULL",
         "factor": p.context.factor if p.context else 1.0}
        for p in cal.pairs
    ]  # fmt: skip
    return env.get_template("aggregate.sql.j2").render(
        dialect=dialect, table=table, by=by, pairs=pairs, reference=comment(cal.reference),
        calibration=comment(calibration_name), bucket_seconds=bucket_seconds,
        bucket_expr=BUCKET[dialect].format(s=bucket_seconds),
    )  # fmt: skip
