"""Engine counters as usage: vLLM's cumulative `prompt_tokens_total` and
`generation_tokens_total` sampled per node and model (a Prometheus export, a scrape log).

Each sample after the first of its series contributes the increase since the previous one; a
counter lower than before was reset (engine restart) and its new value is the increase, as
Prometheus' `increase()` treats it. The first sample of a series is only a baseline.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

PROMPT, GENERATION = "prompt_tokens_total", "generation_tokens_total"
REQUESTS, CACHED = "request_success_total", "prefix_cache_hits_total"
KEY = ("node", "model")


@dataclass
class Series:
    """The last sample of each (node, model) series, carried from one chunk to the next."""

    last: dict[tuple[str, str], dict[str, float]] = field(default_factory=dict)


def is_counter_frame(df: pd.DataFrame) -> bool:
    return PROMPT in df.columns and GENERATION in df.columns


def _increase(values: list[float], before: float | None) -> list[float | None]:
    out: list[float | None] = []
    prev = before
    for v in values:
        out.append(None if prev is None else (v - prev if v >= prev else v))
        prev = v
    return out


def deltas(df: pd.DataFrame, series: Series, rejected: Counter[str]) -> pd.DataFrame:
    """Counter samples -> usage rows (prompt_tokens, cached_tokens, completion_tokens,
    requests) in file order per series; baselines are counted as `counter_baseline`."""
    import pandas as pd

    cols = [c for c in (PROMPT, GENERATION, REQUESTS, CACHED) if c in df.columns]
    nums = df[cols].apply(pd.to_numeric, errors="coerce")
    rows: list[dict[str, Any]] = []
    for key, part in df.groupby([df[k].fillna("").astype(str) for k in KEY], sort=False):
        k = (str(key[0]), str(key[1]))
        last = series.last.get(k, {})
        inc = {c: _increase(nums.loc[part.index, c].tolist(), last.get(c)) for c in cols}
        series.last[k] = {c: float(nums.loc[part.index[-1], c]) for c in cols}
        for i, idx in enumerate(part.index):
            if inc[PROMPT][i] is None:
                rejected["counter_baseline"] += 1
                continue
            row = df.loc[idx].to_dict()
            row["prompt_tokens"] = inc[PROMPT][i]
            row["completion_tokens"] = inc[GENERATION][i]
            row["cached_tokens"] = inc[CACHED][i] if CACHED in cols else 0
            row["requests"] = inc[REQUESTS][i] if REQUESTS in cols else 0
            for c in cols:
                row.pop(c, None)
            rows.append(row)
    return pd.DataFrame(rows).reset_index(drop=True) if rows else pd.DataFrame()
