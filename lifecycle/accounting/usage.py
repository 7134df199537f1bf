"""Usage ingest with pandas: request logs (JSONL, CSV, Parquet) in chunks, normalised to one
frame shape. Bad rows are counted by reason, never priced; duplicate request ids count once.

Accepted rows (docs/model-units.md, "Usage input"):
- request logs: request_id, timestamp, tenant, model, node, hardware and an OpenAI `usage`
  object (prompt_tokens, completion_tokens, prompt_tokens_details.cached_tokens), nested or as
  flat columns;
- LiteLLM spend logs (request_id, startTime, model, api_base, team_id/user, prompt_tokens,
  completion_tokens): `api_base` is the node, the team (else the user) the tenant;
- engine counters (vLLM `prompt_tokens_total`, `generation_tokens_total`, optionally
  `request_success_total`, `prefix_cache_hits_total`) sampled per node and model: deltas are
  the usage, a counter that goes down was reset and its new value is the delta (Prometheus).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from diag.errors import UsageError
from lifecycle.accounting import counters
from lifecycle.accounting.timestamps import parse_timestamps

if TYPE_CHECKING:
    import pandas as pd

TOKENS = ("prompt_tokens", "cached_tokens", "output_tokens")
TEXT = ("tenant", "model", "node", "hardware")
# canonical column -> the names it goes by in the formats we read, first found wins
ALIASES: dict[str, tuple[str, ...]] = {
    "request_id": ("request_id", "id"),
    "timestamp": ("timestamp", "startTime", "created"),
    "tenant": ("tenant", "team_id", "user", "metadata.user_api_key_team_id"),
    "model": ("model",),
    "node": ("node", "api_base"),
    "hardware": ("hardware", "metadata.hardware"),
    "prompt_tokens": ("prompt_tokens", "usage.prompt_tokens"),
    "cached_tokens": (
        "cached_tokens",
        "usage.prompt_tokens_details.cached_tokens",
        "prompt_tokens_details.cached_tokens",
    ),
    "output_tokens": ("completion_tokens", "usage.completion_tokens", "output_tokens"),
}
# Why a row is rejected: its code in the per-row array of `Reasons`; 0 is a good row.
REASONS = ("", "bad_json", "missing_timestamp", "naive_timestamp", "bad_timestamp",
           "missing_model", "missing_hardware", "missing_tokens", "bad_tokens",
           "negative_tokens", "cached_exceeds_prompt")  # fmt: skip


class Reasons:
    """The first reason each row is rejected for (numpy int8 codes: fast on 10M rows)."""

    def __init__(self, n: int) -> None:
        import numpy as np

        self.code = np.zeros(n, np.int8)

    def mark(self, mask: Any, reason: str) -> None:
        import numpy as np

        m = np.asarray(mask, dtype=bool)
        self.code[(self.code == 0) & m] = REASONS.index(reason)

    @property
    def good(self) -> Any:
        return self.code == 0

    def counts(self) -> dict[str, int]:
        import numpy as np

        values, n = np.unique(self.code[self.code > 0], return_counts=True)
        return {REASONS[int(v)]: int(c) for v, c in zip(values, n, strict=True)}


SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}


@dataclass(frozen=True)
class IngestOptions:
    naive_tz: str | None = None  # None: timestamps without a zone are rejected
    default_hardware: str = ""
    chunk_rows: int = 500_000


@dataclass
class IngestStats:
    rows_read: int = 0
    duplicates: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    seen: Any = None  # sorted numpy uint64 hashes of the request ids counted so far


def format_of(path: Path) -> str:
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise UsageError(
            f"usage {path}: unknown format {path.suffix!r} (use .jsonl, .csv, .parquet)"
        )
    return fmt


def raw_chunks(path: Path, chunk_rows: int, stats: IngestStats) -> Iterator[pd.DataFrame]:
    """The file in frames of at most `chunk_rows` rows, nested JSON flattened (`usage.x`)."""
    import pandas as pd

    fmt = format_of(path)
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_rows):
                yield batch.to_pandas()
        elif fmt == "csv":
            yield from pd.read_csv(path, chunksize=chunk_rows, dtype={"request_id": str})
        else:
            yield from _jsonl_chunks(path, chunk_rows, stats)
    except (OSError, ValueError) as exc:
        raise UsageError(f"usage {path}: cannot read: {exc}".splitlines()[0][:300]) from None


def _jsonl_chunks(path: Path, chunk_rows: int, stats: IngestStats) -> Iterator[pd.DataFrame]:
    import pandas as pd

    with open(path, encoding="utf-8", errors="replace") as fh:
        while True:
            lines = list(islice(fh, chunk_rows))
            if not lines:
                return
            records = []
            for line in lines:
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except ValueError:
                    obj = None
                if isinstance(obj, dict):
                    records.append(obj)
                else:
                    stats.rows_read += 1
                    stats.rejected["bad_json"] += 1
            yield pd.json_normalize(records) if records else pd.DataFrame()


def _column(df: pd.DataFrame, name: str) -> pd.Series[Any] | None:
    for alias in ALIASES[name]:
        if alias in df.columns:
            col = df[alias]
            if name == "tenant" and alias == "team_id" and "user" in df.columns:
                col = col.where(col.notna() & (col != ""), df["user"])
            return col
    return None


def _tokens(df: pd.DataFrame, out: pd.DataFrame, bad: Reasons) -> None:
    """Token columns as int64 in `out`; marks what is missing, non-integer, negative, or
    cached > prompt (first reason wins)."""
    import numpy as np
    import pandas as pd

    for name in TOKENS:
        raw = _column(df, name)
        if raw is None:
            raw = pd.Series(0 if name == "cached_tokens" else np.nan, index=df.index)
        elif name == "cached_tokens":  # OpenAI omits prompt_tokens_details when nothing was cached
            raw = raw.fillna(0)
        if pd.api.types.is_integer_dtype(raw.dtype):  # typed input (Parquet): nothing to parse
            bad.mark(raw.to_numpy() < 0, "negative_tokens")
            out[name] = raw.clip(lower=0).astype("int64")
            continue
        num = pd.to_numeric(raw, errors="coerce")
        bad.mark(raw.isna(), "missing_tokens")
        bad.mark(num.isna() | ((num % 1).ne(0) & num.notna()), "bad_tokens")
        bad.mark(num.lt(0), "negative_tokens")
        out[name] = num.fillna(0).clip(lower=0).astype("int64")
    bad.mark(
        out["cached_tokens"].to_numpy() > out["prompt_tokens"].to_numpy(), "cached_exceeds_prompt"
    )


def normalise(
    df: pd.DataFrame, opts: IngestOptions, stats: IngestStats, series: counters.Series
) -> pd.DataFrame:
    """One raw chunk -> canonical rows (ts, tenant, model, node, hardware, tokens, requests)."""
    import pandas as pd

    stats.rows_read += len(df)
    if df.empty:
        return empty_frame()
    if counters.is_counter_frame(df):
        df = counters.deltas(df, series, stats.rejected)
        if df.empty:
            return empty_frame()
    out = pd.DataFrame(index=df.index)
    bad = Reasons(len(df))
    out["ts"] = parse_timestamps(_column(df, "timestamp"), df.index, opts.naive_tz, bad.mark)
    for name in TEXT:
        col = _column(df, name)
        out[name] = "" if col is None else _text(col)
    if opts.default_hardware:
        out["hardware"] = out["hardware"].mask(out["hardware"].eq(""), opts.default_hardware)
    bad.mark(out["model"].eq(""), "missing_model")
    bad.mark(out["hardware"].eq(""), "missing_hardware")
    _tokens(df, out, bad)
    out["requests"] = df["requests"].astype("int64") if "requests" in df.columns else 1
    ids = _column(df, "request_id")
    keep = bad.good
    stats.rejected.update(bad.counts())
    out, ids = out[keep], (ids[keep] if ids is not None else None)
    return _dedup(out, ids, stats)


def _text(col: pd.Series[Any]) -> pd.Series[Any]:
    """A text column with "" for missing values; categoricals (Parquet dictionaries) stay
    categorical, which groups and merges much faster than Python strings."""
    import pandas as pd

    if isinstance(col.dtype, pd.CategoricalDtype):
        col = col.cat.add_categories([""]) if "" not in col.cat.categories else col
        return col.fillna("").cat.rename_categories(lambda c: str(c))
    return col.fillna("").astype(str)


def _dedup(out: pd.DataFrame, ids: pd.Series[Any] | None, stats: IngestStats) -> pd.DataFrame:
    """Drop rows whose request id was already counted, in this chunk or an earlier one.

    Ids are kept as 64-bit hashes (8 bytes each, not the strings): two different ids colliding
    has probability ~n²/2⁶⁵, about 3e-6 for ten million ids."""
    import numpy as np
    import pandas as pd

    if ids is None:
        return out
    text = ids.astype(str)
    has = ids.notna().to_numpy() & (text != "").to_numpy()
    # categorize=False: ids are mostly unique, factorizing them first only costs time
    h = pd.util.hash_pandas_object(text[has], index=False, categorize=False).to_numpy(np.uint64)
    seen = stats.seen if stats.seen is not None else np.empty(0, np.uint64)
    new = _first_occurrence(h) & ~_in_sorted(seen, h)
    stats.duplicates += int((~new).sum())
    # both sorted: a stable sort of the two runs is a linear merge
    stats.seen = np.sort(np.concatenate([seen, np.sort(h[new])]), kind="stable")
    drop = ids[has].index[~new]
    return out.drop(index=drop)


def _first_occurrence(h: Any) -> Any:
    """True at the first position of each value of `h`: sort, then the smallest position in
    each run of equal values (sorting is faster than hashing in numpy)."""
    import numpy as np

    first = np.zeros(len(h), bool)
    if len(h):
        order = np.argsort(h)
        hs = h[order]
        starts = np.flatnonzero(np.r_[True, hs[1:] != hs[:-1]])
        first[np.minimum.reduceat(order, starts)] = True
    return first


def _in_sorted(seen: Any, h: Any) -> Any:
    import numpy as np

    if not len(seen):
        return np.zeros(len(h), bool)
    at = np.minimum(np.searchsorted(seen, h), len(seen) - 1)
    return seen[at] == h


def empty_frame() -> pd.DataFrame:
    import pandas as pd

    cols = {"ts": pd.Series(dtype="datetime64[ns, UTC]")}
    cols.update({c: pd.Series(dtype=object) for c in TEXT})
    cols.update({c: pd.Series(dtype="int64") for c in (*TOKENS, "requests")})
    return pd.DataFrame(cols)


def frames(paths: list[Path], opts: IngestOptions, stats: IngestStats) -> Iterator[pd.DataFrame]:
    """Every usage file, chunk by chunk, normalised and deduplicated across files."""
    for path in paths:
        if not path.is_file():
            raise UsageError(f"usage {path}: no such file")
        series = counters.Series()
        for raw in raw_chunks(path, opts.chunk_rows, stats):
            yield normalise(raw, opts, stats, series)
