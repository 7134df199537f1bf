"""Elastic Common Schema documents, one per event (ECS_VERSION pinned).

Field choices follow the ECS reference: `event.kind` alert for a finding, state for a
periodic host/probe state, event for an action taken; `event.category`/`event.type` only
use the allowed values of that category (host: info/change; configuration: change);
`event.severity` is numeric (the source's scale: ours, 1 info .. 5 critical); `host.ip`
holds only a real IP address. Everything diagctl-specific sits under `diagctl.*`.
"""

from __future__ import annotations

import contextlib
import ipaddress
from typing import Any

from exporters.siem.events import Event

ECS_VERSION = "8.11.0"
SEVERITY_NUMBER = {"info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}
# event type -> (event.kind, event.category, event.type)
CLASSES: dict[str, tuple[str, list[str], list[str]]] = {
    "finding": ("alert", ["host"], ["info"]),
    "host_run": ("state", ["host"], ["info"]),
    "probe_verdict": ("state", ["host"], ["info"]),
    "state_change": ("event", ["host"], ["change"]),
    "audit": ("event", ["configuration"], ["change"]),
    "bundle": ("event", ["host"], ["info"]),
    "reset_reason": ("event", ["host"], ["info"]),
}


def _host(ev: Event) -> dict[str, Any]:
    host: dict[str, Any] = {"name": ev.host.name}
    if ev.host.hostname:
        host["hostname"] = ev.host.hostname
    if ev.host.host_id:
        host["id"] = ev.host.host_id
    with contextlib.suppress(ValueError):  # a DNS name or empty: ECS host.ip must be an IP
        host["ip"] = [str(ipaddress.ip_address(ev.host.address))]
    return host


def document(ev: Event) -> dict[str, Any]:
    """The ECS document of one event (a plain dict, JSON-ready)."""
    kind, category, types = CLASSES.get(ev.type, ("event", ["host"], ["info"]))
    event: dict[str, Any] = {
        "id": ev.id,
        "kind": kind,
        "category": category,
        "type": types,
        "outcome": ev.outcome,
        "severity": SEVERITY_NUMBER.get(ev.severity, 0),
        "module": "diagctl",
        "dataset": f"diagctl.{ev.type}",
        "provider": ev.source_kind,
        "reason": ev.message,
    }
    if ev.action:
        event["action"] = ev.action
    doc: dict[str, Any] = {
        "@timestamp": ev.at,
        "ecs": {"version": ECS_VERSION},
        "message": ev.message,
        "event": event,
        "host": _host(ev),
        "observer": {"vendor": "diagctl", "product": "diagctl", "version": ev.tool_version,
                     "type": "health-checker"},
        "diagctl": {"type": ev.type, "status": ev.status, "severity": ev.severity,
                    "check_id": ev.check_id, "entity": ev.entity, **ev.fields},
    }  # fmt: skip
    if ev.check_id:
        doc["rule"] = {"id": ev.check_id, "name": ev.check_id}
    return doc
