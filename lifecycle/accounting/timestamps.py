"""Timestamps of usage rows, to UTC.

The rule (docs/model-units.md): a timestamp with a zone (`Z`, `+02:00`) is converted to UTC, so
files in mixed zones aggregate correctly; Unix epoch numbers (OpenAI `created`) are UTC by
definition; a timestamp without a zone is ambiguous and rejected (`naive_timestamp`) unless
`--naive-tz ZONE` says which zone wrote it. A local time that does not exist or exists twice in
that zone (daylight-saving changes) is rejected as `bad_timestamp`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from diag.errors import UsageError

if TYPE_CHECKING:
    import pandas as pd

AWARE = r"(?:[Zz]|[+-]\d{2}:?\d{2})$"


Mark = Callable[[Any, str], None]


def parse_timestamps(
    raw: pd.Series[Any] | None, index: pd.Index[Any], naive_tz: str | None, mark: Mark
) -> pd.Series[Any]:
    """UTC timestamps; rows rejected for their timestamp are marked (and NaT)."""
    import pandas as pd

    if raw is None:
        mark(pd.Series(True, index=index), "missing_timestamp")
        return pd.Series(pd.NaT, index=index, dtype="datetime64[ns, UTC]")
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        ts = raw.dt.tz_convert("UTC")
        naive = pd.Series(False, index=index)
    elif pd.api.types.is_datetime64_dtype(raw.dtype):
        ts, naive = raw, pd.Series(True, index=index)
    elif pd.api.types.is_numeric_dtype(raw.dtype):
        ts = pd.to_datetime(raw, unit="s", utc=True, errors="coerce")
        naive = pd.Series(False, index=index)
    else:
        text = raw.astype("string")
        naive = ~text.str.contains(AWARE, regex=True).fillna(True).astype(bool)
        ts = pd.to_datetime(text.where(~naive), utc=True, errors="coerce", format="ISO8601")
        if naive.any():
            local = pd.to_datetime(text.where(naive), errors="coerce", format="ISO8601")
            ts = ts.where(~naive, _localise(local, naive_tz))
    mark(raw.isna(), "missing_timestamp")
    if naive.any() and naive_tz is None:
        mark(naive, "naive_timestamp")
    elif naive.any() and pd.api.types.is_datetime64_dtype(ts.dtype):
        ts = _localise(ts, naive_tz)
    ts = pd.to_datetime(ts, utc=True, errors="coerce")
    mark(ts.isna(), "bad_timestamp")
    return ts.astype("datetime64[ns, UTC]")


def _localise(local: pd.Series[Any], naive_tz: str | None) -> pd.Series[Any]:
    import pandas as pd

    if naive_tz is None:
        return pd.Series(pd.NaT, index=local.index, dtype="datetime64[ns, UTC]")
    local = pd.to_datetime(local, errors="coerce")
    try:
        aware = local.dt.tz_localize(naive_tz, ambiguous="NaT", nonexistent="NaT")
    except Exception as exc:  # pytz/zoneinfo raise their own types for an unknown zone
        raise UsageError(f"--naive-tz {naive_tz!r}: not a time zone ({exc})") from None
    return aware.dt.tz_convert("UTC")
