"""Capacity decay: the MU/s a node delivers now, measured, against its calibration.

A node whose GPUs throttle, whose NVLink dropped to PCIe or whose engine lost its CUDA graphs
still answers every health check, only slower: a gray failure. Measured MU/s = the MU the
calibration assigns to the requests timed (one at a time, as the calibration was) divided by the
seconds they took; below `threshold` × the pair's `capacity_mu_per_s` is a `warn` finding.

Two sources: a short live sweep (prefill and decode), or recorded `probe.result` envelopes
(decode only: the probe's prompt length is not known in tokens, so only the gaps between
streamed tokens are priced, a_out per token).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from pydantic import ValidationError

import diag
from diag.envelope import finalize, utc_now
from lifecycle.accounting.fit import Point
from lifecycle.accounting.model import Usage, request_mu
from schemas.envelope import Action, Finding, HostRef, Severity, Status
from schemas.mu import DecayNode, MuDecayData, MuDecayEnvelope, Pair
from schemas.probe import ProbeEnvelope

THRESHOLD = 0.8


def measured_mu_per_s(pair: Pair, points: Iterable[Point]) -> float | None:
    mu = secs = 0.0
    for p in points:
        mu += request_mu(pair, Usage(p.prompt_tokens, 0, p.output_tokens))
        secs += p.e2e_s
    return mu / secs if secs > 0 else None


def _finding(row: DecayNode, threshold: float, why: str) -> Finding:
    entity = f"{row.node} ({row.model} × {row.hardware})"
    if row.ratio is None:
        return Finding(check_id="mu.capacity_decay", status=Status.UNKNOWN, entity=entity,
                       message=f"cannot judge: {why}", action=Action.NONE)  # fmt: skip
    low = row.ratio < threshold
    return Finding(
        check_id="mu.capacity_decay",
        status=Status.WARN if low else Status.PASS,
        severity=Severity.MEDIUM if low else Severity.INFO,
        entity=entity,
        observed={"measured_mu_per_s": row.measured_mu_per_s, "ratio": row.ratio},
        threshold=threshold,
        threshold_source="--threshold × calibration capacity_mu_per_s",
        message=f"{row.node} delivers {row.measured_mu_per_s:.4g} MU/s, {row.ratio:.0%} of its "
        f"calibrated {row.calibrated_mu_per_s:.4g} MU/s"
        + (f" (below {threshold:.0%}: capacity decay)" if low else ""),
        action=Action.MONITOR if low else Action.NONE,
    )


def judge(node: str, model: str, hardware: str, pair: Pair | None, points: list[Point],
          cal_name: str, threshold: float = THRESHOLD) -> MuDecayEnvelope:  # fmt: skip
    """One node's envelope: pass, warn (decayed) or unknown (with the reason)."""
    started = utc_now()
    cap = pair.capacity_mu_per_s if pair else None
    measured = measured_mu_per_s(pair, points) if pair else None
    ratio = round(measured / cap, 4) if measured is not None and cap else None
    row = DecayNode(node=node, model=model, hardware=hardware, samples=len(points),
                    measured_mu_per_s=None if measured is None else round(measured, 6),
                    calibrated_mu_per_s=cap, ratio=ratio)  # fmt: skip
    why = (
        f"no calibration for {model} × {hardware} in {cal_name}" if pair is None
        else f"{model} × {hardware} has no capacity_mu_per_s" if cap is None
        else "no timed request"
    )  # fmt: skip
    env = MuDecayEnvelope(
        kind="mu.decay", tool_version=diag.__version__, host=HostRef(name=node, hostname=node),
        ok=True, status=Status.PASS, collected_at=started, duration_ms=0,
        findings=[_finding(row, threshold, why)],
        data=MuDecayData(calibration=cal_name, threshold=threshold, nodes=[row]),
    )  # fmt: skip
    finalize(env)
    return env


def probe_points(path: Path) -> tuple[dict[tuple[str, str], list[Point]], int]:
    """Decode timings per (node, model) from a JSONL file of `probe.result` envelopes; lines
    that are not such envelopes, or probes that streamed fewer than two tokens, are counted."""
    out: dict[tuple[str, str], list[Point]] = defaultdict(list)
    skipped = 0
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if not line.strip():
                continue
            try:
                env = ProbeEnvelope.model_validate_json(line)
            except ValidationError:
                skipped += 1
                continue
            tm = env.data.timings
            if env.kind != "probe.result" or tm.ttft_ms is None or tm.tokens < 2:
                skipped += 1
                continue
            decode_s = (tm.e2e_ms - tm.ttft_ms - (tm.connect_ms or 0)) / 1000
            out[(env.data.node, env.data.model)].append(Point(0, tm.tokens - 1, 0.0, decode_s))
    return dict(out), skipped
