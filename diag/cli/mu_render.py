"""The readable view of `mu report` and `mu decay`: one table per envelope, then findings.
Every cell can come from a usage file, so each line goes through diag.textsafe."""

from __future__ import annotations

from diag.cli.render import MARK
from diag.textsafe import safe_text
from schemas.mu import MuDecayEnvelope, MuReportEnvelope

MAX_ROWS = 200


def _fmt(v: float | None, pct: bool = False) -> str:
    if v is None:
        return "-"
    return f"{v:.1%}" if pct else f"{v:.4g}"


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]


def report_table(env: MuReportEnvelope) -> str:
    d = env.data
    head = [
        *d.by,
        *(["bucket"] if d.bucket else []),
        "requests",
        "input",
        "cached",
        "output",
        "MU",
        "unpriced",
        "util",
        "headroom",
    ]
    rows = [head]
    for g in d.groups[:MAX_ROWS]:
        rows.append(
            [
                *(g.keys[k] or "(none)" for k in d.by),
                *([g.bucket or "-"] if d.bucket else []),
                str(g.requests),
                str(g.input_tokens),
                str(g.cached_tokens),
                str(g.output_tokens),
                _fmt(g.mu),
                str(g.unpriced_requests),
                _fmt(g.utilisation, pct=True),
                _fmt(g.headroom_mu),
            ]
        )
    lines = [
        f"MU report: {d.rows_read} rows read, {d.rows_counted} counted, "
        f"{d.duplicates} duplicates; calibration {d.calibration} (reference {d.reference})"
    ]
    lines += _table(rows)
    if len(d.groups) > MAX_ROWS:
        lines.append(f"... {len(d.groups) - MAX_ROWS} more groups (--json has them all)")
    lines += [f"  {MARK[f.status]}  {f.check_id:<20} {f.message}" for f in env.findings]
    return "\n".join(safe_text(line) for line in lines)


def decay_table(envs: list[MuDecayEnvelope]) -> str:
    rows = [["node", "model", "hardware", "samples", "measured MU/s", "calibrated", "ratio", ""]]
    for env in envs:
        for n in env.data.nodes:
            rows.append(
                [
                    n.node,
                    n.model,
                    n.hardware,
                    str(n.samples),
                    _fmt(n.measured_mu_per_s),
                    _fmt(n.calibrated_mu_per_s),
                    _fmt(n.ratio, pct=True),
                    MARK[env.status],
                ]
            )
    lines = _table(rows)
    lines += [f"  {MARK[f.status]}  {f.check_id:<20} {f.message}" for e in envs for f in e.findings]
    return "\n".join(safe_text(line) for line in lines)
