"""What a monitoring envelope says about the assets in monitor, pure: envelope in, feeds out.

The monitor phase is fed by the tools a site already schedules (cron, a systemd timer):

  health.l1     `diagctl health` (one per host)       -> the `l1` step (and `drift`: monitor_record)
  probe.result  `diagctl probe run` (one per target)  -> the `probe` step, by the probe's node
  mu.report     `diagctl mu report --by node,...`     -> `mu_headroom` per node (worst group)
  mu.decay      `diagctl mu decay`                    -> `mu_capacity` per node (worst model)

Each feed names the asset it belongs to by candidate keys (host_id first, then names), the
action it records, its outcome and the finding shown to the operator. Text that came from a
host or endpoint is redacted here (a probe URL's password, a token in an error message).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from diag import redact
from lifecycle.probe_step import PROBE
from schemas.envelope import Envelope, Finding, Severity, Status

Outcome = Literal["pass", "warn", "fail", "unknown"]
DEFAULT_MIN_HEADROOM = 0.10  # of the node's capacity over the report's window or bucket
DEFAULT_MIN_CAPACITY = 0.80  # measured / calibrated MU/s; `mu decay --threshold`'s default
_STATUS: dict[Outcome, Status] = {
    "pass": Status.PASS,
    "warn": Status.WARN,
    "fail": Status.FAIL,
    "unknown": Status.UNKNOWN,
}
_SEVERITY = {Status.PASS: Severity.INFO, Status.WARN: Severity.MEDIUM, Status.FAIL: Severity.HIGH}
_VERDICT: dict[str, Outcome] = {"healthy": "pass", "slow": "warn", "zombie": "fail", "down": "fail"}


@dataclass(frozen=True)
class Thresholds:
    min_headroom: float = DEFAULT_MIN_HEADROOM
    min_capacity: float = DEFAULT_MIN_CAPACITY


@dataclass(frozen=True)
class Feed:
    """One asset's share of one envelope: the action recorded and the finding shown."""

    keys: tuple[str, ...]  # registry keys to try, in order (host_id, names)
    action: str
    outcome: Outcome
    finding: Finding


def _finding(check_id: str, outcome: Outcome, entity: str, msg: str, **kw: Any) -> Finding:
    status = _STATUS[outcome]
    return Finding(
        check_id=check_id,
        status=status,
        severity=_SEVERITY.get(status, Severity.MEDIUM),
        entity=redact.text(entity),
        message=redact.text(msg),
        **kw,
    )


def _keys(*names: object) -> tuple[str, ...]:
    out: list[str] = []
    for n in names:
        if isinstance(n, str) and n and n not in out:
            out.append(n)
    return tuple(out)


def health_feeds(env: Envelope, th: Thresholds) -> list[Feed]:
    """The health run's status as the `l1` step: pass/warn pass, fail fails, anything else
    (unreachable, error, unknown) is not captured."""
    status = env.status.value
    outcome: Outcome = status if status in ("pass", "warn", "fail") else "unknown"  # type: ignore[assignment]
    n = env.summary
    failing = sorted({f.check_id for f in env.findings if f.status is Status.FAIL})
    which = f" ({', '.join(failing)})" if failing else ""
    msg = f"health {status}: {n.fail} fail, {n.warn} warn, {n.unknown} unknown{which}"
    f = _finding("lifecycle.l1", outcome, "health.l1", msg)
    return [Feed(_keys(env.host.host_id, env.host.name), "l1", outcome, f)]


def probe_feeds(env: Envelope, th: Thresholds) -> list[Feed]:
    """A probe's verdict as the `probe` step: healthy passes, slow warns, zombie and down fail
    with the probe's reason; the asset is the probe's scheduler node, else (no node) the
    target's host_id, name or hostname."""
    data = env.data or {}
    verdict = str(data.get("verdict") or "")
    outcome = _VERDICT.get(verdict, "unknown")
    reason = str(data.get("reason") or "") or "no reason given"
    url = redact.url(str(data.get("url") or env.host.address))
    f = _finding(
        PROBE,
        outcome,
        url,
        f"token probe {verdict or 'without a verdict'}: {reason}",
        observed={"verdict": verdict or None, "target": env.host.name, "model": data.get("model")},
    )
    node = data.get("node")  # the scheduler node is authoritative when the probe names one
    keys = _keys(node) if node else _keys(env.host.host_id, env.host.name, env.host.hostname)
    return [Feed(keys, "probe", outcome, f)]


def _by_node(
    rows: Any, node_of: Callable[[dict[str, Any]], Any]
) -> list[tuple[str, list[dict[str, Any]]]]:
    """`rows` (a document's list, maybe absent or malformed) grouped by their node name, in
    name order; rows without a node name are left out (the caller names what it could not
    place)."""
    by_node: dict[str, list[dict[str, Any]]] = {}
    for row in rows if isinstance(rows, list) else []:
        node = node_of(row) if isinstance(row, dict) else None
        if isinstance(node, str) and node:
            by_node.setdefault(node, []).append(row)
    return sorted(by_node.items())


def _worst(
    rows: list[dict[str, Any]], score: Callable[[dict[str, Any]], float | None]
) -> dict[str, Any]:
    """The row with the lowest score; a row without one (no capacity) wins over any score."""
    return min(rows, key=lambda r: (-1.0, 0.0) if score(r) is None else (0.0, score(r) or 0.0))


def _headroom(g: dict[str, Any]) -> float | None:
    cap, room = g.get("capacity_mu"), g.get("headroom_mu")
    if not isinstance(cap, (int, float)) or not isinstance(room, (int, float)) or cap <= 0:
        return None
    return float(room) / float(cap)


def mu_report_feeds(env: Envelope, th: Thresholds) -> list[Feed]:
    """Per node of a `mu report --by node,...`: the worst group's headroom as a share of its
    capacity; below `min_headroom` warns; no capacity is unknown. A report without `node` in
    its keys names no asset: no feeds (the caller says so)."""
    groups = (env.data or {}).get("groups")
    feeds = []
    for node, rows in _by_node(groups, lambda g: (g.get("keys") or {}).get("node")):
        g = _worst(rows, _headroom)
        share, where = _headroom(g), f"{node} bucket {g.get('bucket') or 'window'}"
        if share is None:
            outcome: Outcome = "unknown"
            msg = f"MU headroom of {where}: no capacity (capacity_mu_per_s not calibrated)"
        else:
            outcome = "warn" if share < th.min_headroom else "pass"
            msg = (
                f"MU headroom {share:.1%} of {where} ({g['headroom_mu']} of "
                f"{g['capacity_mu']} MU), minimum {th.min_headroom:.0%}"
            )
        f = _finding(
            "lifecycle.mu_headroom", outcome, where, msg, observed=share, threshold=th.min_headroom
        )
        feeds.append(Feed((node,), "mu_headroom", outcome, f))
    return feeds


def mu_decay_feeds(env: Envelope, th: Thresholds) -> list[Feed]:
    """Per node of a `mu decay`: delivered / calibrated MU/s of its worst model below
    `min_capacity` warns (a gray failure: slower, every check passing); no ratio is unknown."""
    feeds = []
    for node, rows in _by_node((env.data or {}).get("nodes"), lambda n: n.get("node")):
        r = _worst(
            rows, lambda x: x.get("ratio") if isinstance(x.get("ratio"), (int, float)) else None
        )
        ratio, what = r.get("ratio"), f"{node} ({r.get('model')} × {r.get('hardware')})"
        if not isinstance(ratio, (int, float)):
            outcome: Outcome = "unknown"
            msg = f"MU capacity of {what}: no calibrated capacity to compare with"
        else:
            outcome = "warn" if ratio < th.min_capacity else "pass"
            msg = (
                f"{what} delivers {ratio:.0%} of its calibrated MU/s, minimum {th.min_capacity:.0%}"
            )
        f = _finding(
            "lifecycle.mu_capacity", outcome, what, msg, observed=ratio, threshold=th.min_capacity
        )
        feeds.append(Feed((node,), "mu_capacity", outcome, f))
    return feeds


FEEDS: dict[str, Callable[[Envelope, Thresholds], list[Feed]]] = {
    "health.l1": health_feeds,
    "probe.result": probe_feeds,
    "mu.report": mu_report_feeds,
    "mu.decay": mu_decay_feeds,
}
