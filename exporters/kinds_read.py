"""Defensive readers for the envelope kinds of the lifecycle registry and Model Units, shared
by every exporter's table (prometheus KINDS, siem PROJECTIONS, cmdb PROJECTIONS).

    lifecycle.transition   data.to_phase (or data.to, data.phase), data.from_phase (or data.from)
    lifecycle.action       data.action, data.result
    mu.report              data.groups[]: {node | group | tenant, model, hardware ...,
                           capacity_mu_per_s (or capacity), headroom_pct (or headroom_ratio)}

A field that is missing or of the wrong type reads as empty / None, never an exception: these
kinds' data models land beside the exporters and may grow.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

GROUP_KEYS = ("tenant", "model", "node", "hardware")


def first_str(data: Mapping[str, Any], *keys: str) -> str:
    for key in keys:
        value = data.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def first_number(data: Mapping[str, Any], *keys: str) -> float | None:
    for key in keys:
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if abs(value) < float("inf"):
            return float(value)
    return None


def to_phase(data: Mapping[str, Any]) -> str:
    return first_str(data, "to_phase", "to", "phase")[:64]


def from_phase(data: Mapping[str, Any]) -> str:
    return first_str(data, "from_phase", "from")[:64]


@dataclass(frozen=True)
class MuGroup:
    name: str  # `group`, else tenant/model/node/hardware joined by "/"
    node: str
    capacity_mu_per_s: float | None
    headroom_ratio: float | None  # 0..1 of capacity left


def mu_groups(data: Mapping[str, Any]) -> list[MuGroup]:
    groups = data.get("groups")
    out = []
    for g in groups if isinstance(groups, list) else []:
        if not isinstance(g, dict):
            continue
        name = first_str(g, "group") or "/".join(
            str(g[k]) for k in GROUP_KEYS if isinstance(g.get(k), str) and g[k]
        )
        pct = first_number(g, "headroom_pct")
        ratio = pct / 100 if pct is not None else first_number(g, "headroom_ratio")
        cap = first_number(g, "capacity_mu_per_s", "capacity")
        out.append(MuGroup(name or "all", first_str(g, "node"), cap, ratio))
    return out
