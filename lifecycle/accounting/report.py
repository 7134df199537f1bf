"""`mu report`: usage files + calibration -> one `mu.report` envelope (groups and findings)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import diag
from diag.envelope import finalize, utc_now
from diag.errors import UsageError
from lifecycle.accounting import aggregate, findings
from lifecycle.accounting.usage import IngestOptions, IngestStats, frames
from schemas.envelope import HostRef, Status
from schemas.mu import (
    CalibrationFile,
    MuGroup,
    MuReportData,
    MuReportEnvelope,
    ReservationsFile,
    TenantUsage,
    UnpricedPair,
)

if TYPE_CHECKING:
    import pandas as pd

BY_KEYS = aggregate.KEYS


@dataclass(frozen=True)
class ReportOptions:
    usage: tuple[Path, ...]
    calibration_name: str
    by: tuple[str, ...] = ("tenant",)
    bucket: str | None = None
    ingest: IngestOptions = field(default_factory=IngestOptions)
    reservations: ReservationsFile | None = None
    spike_factor: float = 3.0
    spike_min_buckets: int = 4


def bucket_seconds(bucket: str) -> float:
    """`1h`, `15min`, `1d` -> seconds (pandas offset aliases); a bad one is a usage error."""
    import pandas as pd

    try:
        secs = float(pd.Timedelta(bucket).total_seconds())
    except (ValueError, TypeError):
        secs = 0.0
    if secs <= 0:
        raise UsageError(f"--bucket {bucket!r}: not a fixed duration such as 15min, 1h, 1d")
    return secs


def _iso(ts: Any) -> str | None:
    import pandas as pd

    if ts is None or pd.isna(ts):
        return None
    return str(ts.isoformat()).replace("+00:00", "Z")


def _num(v: Any) -> float | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else round(float(v), 6)


def _groups(r: pd.DataFrame, by: tuple[str, ...]) -> list[MuGroup]:
    return [
        MuGroup(
            keys={k: str(row[k]) for k in by},
            bucket=_iso(row["bucket"]),
            requests=int(row["requests"]),
            input_tokens=int(row["prompt_tokens"]),
            cached_tokens=int(row["cached_tokens"]),
            output_tokens=int(row["output_tokens"]),
            mu=round(float(row["mu"]), 6),
            unpriced_requests=int(row["unpriced_requests"]),
            capacity_mu=_num(row["capacity_mu"]),
            utilisation=_num(row["utilisation"]),
            headroom_mu=_num(row["headroom_mu"]),
        )
        for row in r.to_dict("records")
    ]


def _tenants(t: pd.DataFrame, secs: float, opts: ReportOptions) -> list[TenantUsage]:
    reserved = (
        {r.tenant: r.reserved_mu_per_s for r in opts.reservations.tenants}
        if (opts.reservations)
        else {}
    )
    out = []
    for tenant, part in t.groupby("tenant", sort=True, observed=True):
        peak = float(part["mu"].max()) / secs if secs > 0 else None
        out.append(
            TenantUsage(
                tenant=str(tenant),
                mu=round(float(part["mu"].sum()), 6),
                mu_per_s_peak=_num(peak),
                reserved_mu_per_s=reserved.get(str(tenant)),
            )
        )
    return out


def run(cal: CalibrationFile, opts: ReportOptions) -> MuReportEnvelope:
    started, t0 = utc_now(), time.monotonic()
    unknown = [k for k in opts.by if k not in BY_KEYS]
    if unknown:
        raise UsageError(f"--by {','.join(unknown)}: unknown key (use {', '.join(BY_KEYS)})")
    bsecs = bucket_seconds(opts.bucket) if opts.bucket else 0.0
    stats = IngestStats()
    parts = aggregate.Partials(opts.by, opts.bucket)
    pairs = aggregate.pair_frame(cal)
    for df in frames(list(opts.usage), opts.ingest, stats):
        parts.add(aggregate.price(df, pairs))
    g, un, t = aggregate.combine(parts)
    data = MuReportData(
        calibration=opts.calibration_name,
        reference=cal.reference,
        sources=[str(p) for p in opts.usage],
        by=list(opts.by),
        bucket=opts.bucket,
        rows_read=stats.rows_read,
        duplicates=stats.duplicates,
        rejected=dict(sorted(stats.rejected.items())),
    )
    if not g.empty:
        start, end = g["ts_min"].min(), g["ts_max"].max()
        data.window_start, data.window_end = _iso(start), _iso(end)
        secs = bsecs or (end - start).total_seconds()
        r = aggregate.roll_up(g, opts.by, secs)
        data.groups = _groups(r, opts.by)
        data.rows_counted = parts.rows
        data.tenants = _tenants(t, secs, opts)
    data.unpriced = [
        UnpricedPair(
            model=str(u["model"]),
            hardware=str(u["hardware"]),
            requests=int(u["requests"]),
            input_tokens=int(u["prompt_tokens"]),
            output_tokens=int(u["output_tokens"]),
        )
        for u in (un.to_dict("records") if not un.empty else [])
    ]
    env = MuReportEnvelope(
        kind="mu.report",
        tool_version=diag.__version__,
        host=HostRef(name="mu-report"),
        ok=True,
        status=Status.PASS,
        collected_at=started,
        data=data,
        duration_ms=int((time.monotonic() - t0) * 1000),
        findings=findings.report_findings(
            data, opts.reservations, opts.spike_factor, opts.spike_min_buckets
        ),
    )
    return finalize(env)  # type: ignore[return-value]
