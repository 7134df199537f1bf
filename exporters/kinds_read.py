"""Defensive readers for the envelope kinds of the lifecycle registry and Model Units, shared
by every exporter's table (prometheus KINDS, siem PROJECTIONS, cmdb PROJECTIONS).

    lifecycle.transition   data.to_phase (or data.to, data.phase), data.from_phase (or data.from)
    lifecycle.action       data.action, data.result
    mu.report              data.groups[]: {keys: {tenant, model, node, hardware}, capacity_mu,
                           headroom_mu} over data.bucket (e.g. "1h") or the report's window
                           (schemas/mu.py); older flat shapes {node | group | tenant ...,
                           capacity_mu_per_s, headroom_pct | headroom_ratio} are read too

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


_UNIT_S = {
    "s": 1,
    "sec": 1,
    "t": 60,
    "m": 60,
    "min": 60,
    "h": 3600,
    "hour": 3600,
    "d": 86400,
    "day": 86400,
}


def span_seconds(data: Mapping[str, Any]) -> float | None:
    """The seconds one group covers: its `bucket` ("15min", "1h", "1d"), else the report's
    window (window_end - window_start); None when neither says."""
    import re
    from datetime import datetime

    bucket = data.get("bucket")
    if isinstance(bucket, str):
        m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([a-zA-Z]+?)s?", bucket.strip())
        unit = _UNIT_S.get(m.group(2).lower()) if m else None
        return float(m.group(1)) * unit if m and unit and float(m.group(1)) > 0 else None
    start, end = data.get("window_start"), data.get("window_end")
    try:
        secs = (
            datetime.fromisoformat(str(end).replace("Z", "+00:00"))
            - datetime.fromisoformat(str(start).replace("Z", "+00:00"))
        ).total_seconds()
    except ValueError:
        return None
    return secs if secs > 0 else None


def _group_name(g: Mapping[str, Any]) -> str:
    keys = g.get("keys")
    src = keys if isinstance(keys, dict) else g
    return first_str(g, "group") or "/".join(
        str(src[k]) for k in GROUP_KEYS if isinstance(src.get(k), str) and src[k]
    )


def mu_groups(data: Mapping[str, Any]) -> list[MuGroup]:
    groups = data.get("groups")
    span = span_seconds(data)
    out = []
    for g in groups if isinstance(groups, list) else []:
        if not isinstance(g, dict):
            continue
        raw_keys = g.get("keys")
        keys: Mapping[str, Any] = raw_keys if isinstance(raw_keys, dict) else {}
        cap = first_number(g, "capacity_mu_per_s", "capacity")
        cap_mu = first_number(g, "capacity_mu")
        if cap is None and cap_mu is not None and span:
            cap = cap_mu / span
        pct = first_number(g, "headroom_pct")
        ratio = pct / 100 if pct is not None else first_number(g, "headroom_ratio")
        room = first_number(g, "headroom_mu")
        if ratio is None and room is not None and cap_mu:
            ratio = room / cap_mu
        node = first_str(g, "node") or first_str(keys, "node")
        out.append(MuGroup(_group_name(g) or "all", node, cap, ratio))
    return out
