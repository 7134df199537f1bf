"""Envelopes → what the HTML report shows. Pure: no jinja2, no files.

Every kind is read defensively from the generic envelope (`data` is a dict): a field of the
wrong type is left out, never a crash. Kinds: health.l1 (heatmap, GPUs needing action),
probe.result (verdicts, TTFT trend), reset_reason (timeline), mu.* (Model-Unit headroom).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from schemas.envelope import Action, Envelope, Status, worst

ACTIONABLE = (Action.RESET, Action.REBOOT, Action.ISOLATE)
MAX_POINTS = 200  # TTFT points kept per target (the most recent)


@dataclass
class GpuAction:
    host: str
    check_id: str
    entity: str
    action: str
    message: str


@dataclass
class ProbeRow:
    target: str
    verdict: str
    at: str
    ttft_ms: list[float] = field(default_factory=list)


@dataclass
class Event:
    at: str
    host: str
    what: str


@dataclass
class ReportView:
    checks: list[str] = field(default_factory=list)  # heatmap columns
    heat: dict[str, dict[str, str]] = field(default_factory=dict)  # host -> check -> status
    host_status: dict[str, str] = field(default_factory=dict)
    gpu_actions: list[GpuAction] = field(default_factory=list)
    probes: list[ProbeRow] = field(default_factory=list)
    resets: list[Event] = field(default_factory=list)
    headroom: list[Event] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # host status -> hosts


def _num(data: Mapping[str, Any], key: str) -> float | None:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _health(view: ReportView, env: Envelope) -> None:
    host = env.host.name
    row = view.heat.setdefault(host, {})
    for f in env.findings:
        have = row.get(f.check_id)
        row[f.check_id] = worst([f.status, Status(have)] if have else [f.status]).value
        if f.check_id.startswith("gpu.") and f.action in ACTIONABLE:
            view.gpu_actions.append(
                GpuAction(host, f.check_id, f.entity, f.action.value, f.message)
            )
    view.host_status[host] = env.status.value


def _probe(probes: dict[str, ProbeRow], env: Envelope) -> None:
    name = env.data.get("target") if isinstance(env.data.get("target"), str) else env.host.name
    row = probes.setdefault(str(name), ProbeRow(str(name), "", ""))
    verdict = env.data.get("verdict")
    if isinstance(verdict, str) and env.collected_at >= row.at:
        row.verdict, row.at = verdict, env.collected_at
    timings = env.data.get("timings")
    ttft = _num(timings, "ttft_ms") if isinstance(timings, dict) else None
    if ttft is not None:
        row.ttft_ms = [*row.ttft_ms, ttft][-MAX_POINTS:]


def _reset(view: ReportView, env: Envelope) -> None:
    d = env.data
    reason = next(
        (d[k] for k in ("reason", "cause", "classification") if isinstance(d.get(k), str)), ""
    )
    at = d.get("at") if isinstance(d.get("at"), str) else env.collected_at
    view.resets.append(Event(str(at), env.host.name, str(reason) or env.status.value))


def _mu(view: ReportView, env: Envelope) -> None:
    pct = _num(env.data, "headroom_pct")
    cap, used = _num(env.data, "mu_per_s"), _num(env.data, "mu_used_per_s")
    if pct is None and cap and used is not None:
        pct = 100.0 * (cap - used) / cap
    if pct is not None:
        view.headroom.append(Event(env.collected_at, env.host.name, f"{pct:.0f}%"))


def build(envelopes: Iterable[Envelope]) -> ReportView:
    view = ReportView()
    probes: dict[str, ProbeRow] = {}
    for env in sorted(envelopes, key=lambda e: e.collected_at):
        if env.kind == "health.l1":
            _health(view, env)
        elif env.kind == "probe.result":
            _probe(probes, env)
        elif env.kind.startswith("reset"):
            _reset(view, env)
        elif env.kind.startswith("mu."):
            _mu(view, env)
    view.checks = sorted({c for row in view.heat.values() for c in row})
    view.probes = list(probes.values())
    view.resets.sort(key=lambda e: e.at)
    for status in view.host_status.values():
        view.counts[status] = view.counts.get(status, 0) + 1
    return view


def sparkline(values: list[float], width: int = 160, height: int = 28) -> str:
    """SVG polyline points for a TTFT trend, scaled to the box; empty for no values."""
    if not values:
        return ""
    top = max(values) or 1.0
    step = width / max(len(values) - 1, 1)
    return " ".join(
        f"{i * step:.1f},{height - (v / top) * (height - 2) - 1:.1f}" for i, v in enumerate(values)
    )
