"""Least-squares fit of MU coefficients from timed requests, and the rules that reject a fit.

Prefill: time to first token = overhead + a_in × prompt tokens. Decode: the rest of the request
= a_out × (output tokens − 1) + c (the first token came with the prefill). Both are ordinary
least squares (numpy). A fit is refused when a coefficient is negative or when either R² is
below the threshold (default 0.8: the straight line must explain 80% of the variance).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from diag.errors import UsageError

R2_MIN = 0.8


class FitError(UsageError):
    """The measurements do not give a usable calibration."""


@dataclass(frozen=True)
class Point:
    """One timed request."""

    prompt_tokens: int
    output_tokens: int
    ttft_s: float
    e2e_s: float


@dataclass(frozen=True)
class Fit:
    a_in: float  # seconds per uncached prompt token
    a_out: float  # seconds per output token
    overhead_s: float
    r2_prefill: float
    r2_decode: float
    points: int


def _line(x: Sequence[float], y: Sequence[float]) -> tuple[float, float, float]:
    """(slope, intercept, R²) of y = slope × x + intercept."""
    import numpy as np

    xs, ys = np.asarray(x, float), np.asarray(y, float)
    design = np.column_stack([xs, np.ones_like(xs)])
    (slope, intercept), *_ = np.linalg.lstsq(design, ys, rcond=None)
    resid = ys - design @ np.array([slope, intercept])
    total = float(((ys - ys.mean()) ** 2).sum())
    r2 = 1.0 - float((resid**2).sum()) / total if total > 0 else 0.0
    return float(slope), float(intercept), r2


def fit(points: Sequence[Point], r2_min: float = R2_MIN) -> Fit:
    usable = [p for p in points if p.output_tokens >= 1 and p.e2e_s >= p.ttft_s > 0]
    if len({p.prompt_tokens for p in usable}) < 2 or len({p.output_tokens for p in usable}) < 2:
        raise FitError(
            f"fit: {len(usable)} usable measurements; need at least 2 different prompt and "
            "2 different output lengths"
        )
    a_in, overhead, r2p = _line([p.prompt_tokens for p in usable], [p.ttft_s for p in usable])
    a_out, _, r2d = _line(
        [p.output_tokens - 1 for p in usable], [p.e2e_s - p.ttft_s for p in usable]
    )
    for name, value in (("a_in", a_in), ("a_out", a_out)):
        if value < 0:
            raise FitError(f"fit: {name} = {value:.3g} s/token is negative: the sweep is noise")
    for name, r2 in (("prefill", r2p), ("decode", r2d)):
        if r2 < r2_min:
            raise FitError(
                f"fit: {name} R² = {r2:.3f} below {r2_min:g}: timings do not follow token "
                "counts (busy endpoint? too short a sweep?)"
            )
    return Fit(a_in, a_out, overhead, round(r2p, 4), round(r2d, 4), len(usable))
