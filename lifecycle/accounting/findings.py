"""Findings of a `mu.report`: unpriced usage, rejected rows, reservations, spikes, capacity."""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any

from schemas.envelope import Action, Finding, Severity, Status
from schemas.mu import MuGroup, MuReportData, ReservationsFile

SEVERITY = {Status.PASS: Severity.INFO, Status.WARN: Severity.MEDIUM, Status.FAIL: Severity.HIGH}
NOT_ERRORS = ("counter_baseline",)  # the first sample of a counter series: no delta yet


def _f(check: str, status: Status, entity: str, message: str, **kw: Any) -> Finding:
    action = Action.NONE if status is Status.PASS else Action.MONITOR
    return Finding(
        check_id=check,
        status=status,
        severity=SEVERITY[status],
        entity=entity,
        message=message,
        action=action,
        **kw,
    )


def _unpriced(data: MuReportData) -> list[Finding]:
    return [
        _f(
            "mu.unpriced",
            Status.WARN,
            f"{u.model} × {u.hardware}",
            f"{u.requests} requests ({u.input_tokens} input, {u.output_tokens} output tokens) of "
            f"{u.model} on {u.hardware} have no calibration: counted, not priced",
            observed=u.model_dump(),
            threshold_source="calibration " + data.calibration,
        )
        for u in data.unpriced
    ]


def _rejected(data: MuReportData) -> list[Finding]:
    bad = {k: v for k, v in data.rejected.items() if k not in NOT_ERRORS}
    if not bad:
        return []
    total = sum(bad.values())
    why = ", ".join(f"{k} {v}" for k, v in bad.items())
    return [
        _f(
            "mu.rejected_rows",
            Status.WARN,
            "usage",
            f"{total} of {data.rows_read} rows rejected, not priced: {why}",
            observed=bad,
        )
    ]


def _tenants(data: MuReportData, res: ReservationsFile | None) -> list[Finding]:
    if res is None:
        return []
    out: list[Finding] = []
    known = {r.tenant for r in res.tenants}
    strangers = sorted(t.tenant for t in data.tenants if t.tenant not in known)
    if strangers:
        out.append(
            _f(
                "mu.tenant_unknown",
                Status.WARN,
                ",".join(strangers)[:200],
                f"{len(strangers)} tenants have usage but no reservation: "
                + ", ".join(repr(s) for s in strangers[:10]),
                observed=strangers[:100],
            )
        )
    for t in data.tenants:
        if t.reserved_mu_per_s is None or t.mu_per_s_peak is None:
            continue
        if t.mu_per_s_peak > t.reserved_mu_per_s:
            out.append(
                _f(
                    "mu.over_reservation",
                    Status.WARN,
                    t.tenant,
                    f"tenant {t.tenant!r} peaked at {t.mu_per_s_peak:.4g} MU/s, above its "
                    f"reservation of {t.reserved_mu_per_s:.4g} MU/s",
                    observed=t.mu_per_s_peak,
                    threshold=t.reserved_mu_per_s,
                    threshold_source="reservations file",
                )
            )
    return out


def _spikes(data: MuReportData, factor: float, min_buckets: int) -> list[Finding]:
    """A bucket whose MU exceeds `factor` × the median bucket of its series (same keys); the
    1e-9 keeps float rounding (0.15 × 6 vs 3 × 0.3) from making equality a spike."""
    if data.bucket is None:
        return []
    series: dict[tuple[tuple[str, str], ...], list[MuGroup]] = defaultdict(list)
    for g in data.groups:
        series[tuple(sorted(g.keys.items()))].append(g)
    out: list[Finding] = []
    for key, groups in series.items():
        if len(groups) < min_buckets:
            continue
        median = statistics.median(g.mu for g in groups)
        name = ",".join(f"{k}={v}" for k, v in key) or "all"
        out += [
            _f(
                "mu.spike",
                Status.WARN,
                name,
                f"{name}: {g.mu:.4g} MU in the bucket at {g.bucket}, over {factor:g}× the median "
                f"bucket ({median:.4g} MU)",
                observed=g.mu,
                threshold=factor * median,
                threshold_source=f"--spike-factor {factor:g} × median of {len(groups)} buckets",
            )
            for g in groups
            if median > 0 and g.mu > factor * median * (1 + 1e-9)
        ]
    return out


def _capacity(data: MuReportData) -> list[Finding]:
    return [
        _f(
            "mu.over_capacity",
            Status.WARN,
            ",".join(f"{k}={v}" for k, v in g.keys.items()),
            f"utilisation {g.utilisation:.0%} of calibrated capacity"
            + (f" in the bucket at {g.bucket}" if g.bucket else "")
            + ": the calibration is stale or capacity_mu_per_s is wrong",
            observed=g.utilisation,
            threshold=1.0,
            threshold_source="calibration capacity",
        )
        for g in data.groups
        if g.utilisation is not None and g.utilisation > 1.0
    ]


def report_findings(
    data: MuReportData, res: ReservationsFile | None, spike_factor: float, min_buckets: int
) -> list[Finding]:
    out = [*_unpriced(data), *_rejected(data), *_tenants(data, res)]
    out += [*_spikes(data, spike_factor, min_buckets), *_capacity(data)]
    total = sum(g.mu for g in data.groups)
    out.insert(
        0,
        _f(
            "mu.report",
            Status.PASS,
            "usage",
            f"{data.rows_counted} rows counted: {total:.6g} MU over {len(data.groups)} "
            f"groups ({data.duplicates} duplicates counted once)",
        ),
    )
    return out
