"""`mu calibrate`: timed requests (a live sweep, vllm bench JSON, or CSV) -> one calibrated pair.

Coefficients are reference-GPU seconds per token: the fitted seconds on this hardware times
`scale`, how many reference GPUs this hardware is worth (1 when it is the reference). At the
sweep's operating point (one request at a time) a node then offers `scale` MU per second.
"""

from __future__ import annotations

import getpass
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from diag import redact
from diag.envelope import utc_now
from diag.errors import OutputError
from lifecycle.accounting import calibration, imports
from lifecycle.accounting.fit import R2_MIN, Fit, Point, fit
from lifecycle.accounting.model import ratio_warning
from schemas.mu import CalibrationFile, Method, Pair, Provenance


@dataclass(frozen=True)
class CalibrateOptions:
    model: str
    hardware: str
    method: Method
    scale: float = 1.0
    cached_ratio: float = 0.1  # a_cached = ratio × a_in, unless measured
    r2_min: float = R2_MIN
    engine: str = ""
    engine_version: str = ""
    endpoint: str = ""
    source: str = ""
    sweep: dict[str, list[int]] = field(default_factory=dict)


def who() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def pair_from(points: list[Point], opts: CalibrateOptions) -> tuple[Pair, list[str]]:
    """(the calibrated pair, warnings); a rejected fit raises FitError."""
    f: Fit = fit(points, opts.r2_min)
    a_in, a_out = f.a_in * opts.scale, f.a_out * opts.scale
    notes = [f"a_cached = {opts.cached_ratio:g} × a_in (assumed: prefix-cache hits not measured)"]
    prov = Provenance(
        method=opts.method,
        who=who(),
        when=utc_now(),
        engine=opts.engine,
        engine_version=opts.engine_version,
        endpoint=opts.endpoint,
        source=opts.source,
        points=f.points,
        r2_prefill=f.r2_prefill,
        r2_decode=f.r2_decode,
        overhead_s=round(f.overhead_s, 6),
        sweep=opts.sweep,
        notes=notes,
    )
    pair = Pair(
        model=opts.model,
        hardware=opts.hardware,
        a_in=a_in,
        a_cached=a_in * opts.cached_ratio,
        a_out=a_out,
        capacity_mu_per_s=opts.scale,
        provenance=prov,
    )
    warning = ratio_warning(pair)
    return pair, [warning] if warning else []


@dataclass(frozen=True)
class CalibrateRequest:
    """Exactly one source: `url` (a live sweep), `vllm_bench` or `csv`."""

    model: str
    hardware: str
    out: Path
    url: str | None = None
    vllm_bench: Path | None = None
    csv: Path | None = None
    reference: str = ""
    scale: float = 1.0
    prompt_words: tuple[int, ...] = (16, 64, 256)
    output_tokens: tuple[int, ...] = (8, 32, 96)
    repeat: int = 2
    ignore_eos: bool = False
    api_key_env: str = ""
    cached_ratio: float = 0.1
    r2_min: float = R2_MIN


def _existing(out: Path) -> CalibrationFile | None:
    """The file --out already holds (its other pairs are kept), checked before any request."""
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise OutputError(f"--out {out}: directory {parent} does not exist or is not writable")
    return calibration.load(out) if out.exists() else None


def _points(
    req: CalibrateRequest, progress: Callable[[str], None]
) -> tuple[list[Point], CalibrateOptions]:
    base: dict[str, Any] = dict(
        model=req.model,
        hardware=req.hardware,
        scale=req.scale,
        cached_ratio=req.cached_ratio,
        r2_min=req.r2_min,
    )
    if req.url is not None:
        from lifecycle.accounting.sweep import SweepSpec, engine_info, run_sweep

        spec = SweepSpec(
            url=req.url.rstrip("/"),
            model=req.model,
            prompt_words=req.prompt_words,
            output_tokens=req.output_tokens,
            repeat=req.repeat,
            ignore_eos=req.ignore_eos,
            api_key_env=req.api_key_env,
        )
        engine, version = engine_info(spec.url)
        points = run_sweep(spec, progress)
        sweep = {
            "prompt_tokens": sorted({p.prompt_tokens for p in points}),
            "output_tokens": list(req.output_tokens),
        }
        return points, CalibrateOptions(
            method="sweep",
            engine=engine,
            engine_version=version,
            endpoint=redact.url(spec.url),
            sweep=sweep,
            **base,
        )
    if req.vllm_bench is not None:
        points, meta = imports.vllm_bench(req.vllm_bench)
        return points, CalibrateOptions(
            method="vllm-bench", engine=meta["engine"], source=str(req.vllm_bench), **base
        )
    assert req.csv is not None
    return imports.measurements_csv(req.csv), CalibrateOptions(
        method="csv", source=str(req.csv), **base
    )


def calibrate(
    req: CalibrateRequest, progress: Callable[[str], None] = lambda _: None
) -> tuple[Pair, list[str]]:
    """Measure or import, fit, and write --out (other pairs kept); (pair, warnings)."""
    old = _existing(req.out)
    points, opts = _points(req, progress)
    pair, warnings = pair_from(points, opts)
    reference = req.reference or (old.reference if old else req.hardware)
    calibration.save(
        req.out, calibration.merged(old, CalibrationFile(reference=reference, pairs=[pair]))
    )
    return pair, warnings
