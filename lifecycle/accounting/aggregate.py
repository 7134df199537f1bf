"""Pricing and aggregation of normalised usage frames, chunk by chunk (memory bounded by the
number of groups, not of rows)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from schemas.mu import CalibrationFile

if TYPE_CHECKING:
    import pandas as pd

SUMS = ("requests", "prompt_tokens", "cached_tokens", "output_tokens", "mu", "unpriced_requests")
KEYS = ("tenant", "model", "node", "hardware")


def pair_frame(cal: CalibrationFile) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(
        [
            {
                "model": p.model,
                "hardware": p.hardware,
                "a_in": p.a_in,
                "a_cached": p.a_cached,
                "a_out": p.a_out,
                "ctx_threshold": p.context.threshold_tokens if p.context else float("inf"),
                "ctx_factor": p.context.factor if p.context else 1.0,
                "capacity": p.capacity_mu_per_s,
            }
            for p in cal.pairs
        ]
    )


def price(df: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """`mu` per row (NaN where the model × hardware pair has no calibration) and `capacity`.

    One boolean mask per calibrated pair instead of a join: calibrations hold tens of pairs,
    and comparing categorical columns is a comparison of small integer codes."""
    import numpy as np

    cols = ("a_in", "a_cached", "a_out", "ctx_threshold", "ctx_factor", "capacity")
    coef = {c: np.full(len(df), np.nan) for c in cols}
    model, hardware = df["model"], df["hardware"]
    for pair in pairs.to_dict("records"):
        mask = ((model == pair["model"]) & (hardware == pair["hardware"])).to_numpy()
        for name in cols:
            coef[name][mask] = np.nan if pair[name] is None else pair[name]
    p, c, o = (
        df[k].to_numpy(np.float64) for k in ("prompt_tokens", "cached_tokens", "output_tokens")
    )
    mu = coef["a_in"] * (p - c) + coef["a_cached"] * c + coef["a_out"] * o
    factor = np.where(p > coef["ctx_threshold"], coef["ctx_factor"], 1.0)
    return df.assign(
        mu=mu * factor,
        capacity=coef["capacity"],
        unpriced_requests=np.where(np.isnan(coef["a_in"]), df["requests"].to_numpy(), 0),
    )


@dataclass
class Partials:
    """Per-chunk partial sums, combined at the end."""

    by: tuple[str, ...]
    bucket: str | None
    groups: list[pd.DataFrame] = field(default_factory=list)
    unpriced: list[pd.DataFrame] = field(default_factory=list)
    tenants: list[pd.DataFrame] = field(default_factory=list)
    rows: int = 0

    @property
    def node_keys(self) -> list[str]:
        """Group keys plus the node (capacity is per node) plus the bucket."""
        keys = list(self.by) + ([] if "node" in self.by else ["node"])
        return [*keys, "bucket"]

    def add(self, m: pd.DataFrame) -> None:
        import pandas as pd

        if m.empty:
            return
        self.rows += len(m)
        m = m.assign(
            bucket=m["ts"].dt.floor(self.bucket)
            if self.bucket
            else pd.Series(pd.NaT, index=m.index),
            mu=m["mu"].fillna(0.0),
        )
        named = {c: (c, "sum") for c in SUMS}
        named.update(capacity=("capacity", "max"), ts_min=("ts", "min"), ts_max=("ts", "max"))
        self.groups.append(
            m.groupby(self.node_keys, dropna=False, observed=True).agg(**named).reset_index()
        )
        un = m[m["unpriced_requests"] > 0]
        if not un.empty:
            cols = ["requests", "prompt_tokens", "output_tokens"]
            self.unpriced.append(
                un.groupby(["model", "hardware"], observed=True)[cols].sum().reset_index()
            )
        self.tenants.append(
            m.groupby(["tenant", "bucket"], dropna=False, observed=True)["mu"].sum().reset_index()
        )


def combine(p: Partials) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(per-node groups, unpriced pairs, tenant × bucket MU), each summed over the chunks."""
    import pandas as pd

    if not p.groups:
        return pd.DataFrame(), pd.DataFrame(), pd.DataFrame()
    g = pd.concat(p.groups, ignore_index=True)
    named: dict[str, Any] = {c: (c, "sum") for c in SUMS}
    named.update(capacity=("capacity", "max"), ts_min=("ts_min", "min"), ts_max=("ts_max", "max"))
    g = g.groupby(p.node_keys, dropna=False, observed=True).agg(**named).reset_index()
    un = pd.concat(p.unpriced, ignore_index=True) if p.unpriced else pd.DataFrame()
    if not un.empty:
        un = un.groupby(["model", "hardware"], observed=True).sum().reset_index()
    t = pd.concat(p.tenants, ignore_index=True)
    t = t.groupby(["tenant", "bucket"], dropna=False, observed=True)["mu"].sum().reset_index()
    return g, un, t


def roll_up(g: pd.DataFrame, by: tuple[str, ...], seconds: float) -> pd.DataFrame:
    """Per-node rows -> the --by groups; capacity = Σ node capacity × window seconds (unknown
    when any node of the group has no capacity, or the window is empty)."""
    import numpy as np

    g = g.assign(cap_missing=g["capacity"].isna(), capacity=g["capacity"].fillna(0.0))
    named: dict[str, Any] = {c: (c, "sum") for c in SUMS}
    named.update(
        capacity=("capacity", "sum"),
        cap_missing=("cap_missing", "any"),
        ts_min=("ts_min", "min"),
        ts_max=("ts_max", "max"),
    )
    r = g.groupby([*by, "bucket"], dropna=False, observed=True).agg(**named).reset_index()
    cap = r["capacity"] * seconds
    r["capacity_mu"] = np.where(r["cap_missing"] | (cap <= 0), np.nan, cap)
    r["utilisation"] = r["mu"] / r["capacity_mu"]
    r["headroom_mu"] = r["capacity_mu"] - r["mu"]
    return r.sort_values([*by, "bucket"], kind="stable").reset_index(drop=True)
