"""OCSF events (OCSF_VERSION pinned): Detection Finding for findings, verdicts, actions, bundles
and reset reasons; Device Inventory Info for the per-host run summary (the host as an asset).

Every required base attribute is set: activity_id, category_uid, class_uid, type_uid
(class_uid * 100 + activity_id), severity_id, time (epoch milliseconds), metadata.version and
metadata.product (vendor_name required); a finding also needs finding_info.title/uid; Device
Inventory Info needs device. diagctl-specific values go to `unmapped`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from exporters.siem.events import Event

OCSF_VERSION = "1.5.0"
DETECTION_FINDING, DEVICE_INVENTORY_INFO = 2004, 5001
FINDINGS_CATEGORY, DISCOVERY_CATEGORY = 2, 5
ACTIVITY_CREATE, ACTIVITY_COLLECT = 1, 2  # Finding: Create; Inventory Info: Collect
SEVERITY_ID = {"info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}
# OCSF status_id of a finding: 1 New (still failing), 4 Resolved (a success outcome).
STATUS_ID = {"failure": 1, "success": 4, "unknown": 0}


def epoch_ms(at: str) -> int:
    """RFC 3339 -> epoch milliseconds; an unparseable time is 0 (the event still goes out)."""
    try:
        return int(datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return 0


def _device(ev: Event) -> dict[str, Any]:
    device: dict[str, Any] = {"type_id": 1, "type": "Server", "name": ev.host.name,
                              "hostname": ev.host.hostname or ev.host.name}  # fmt: skip
    if ev.host.host_id:
        device["uid"] = ev.host.host_id
    if ev.host.address:
        device["ip"] = ev.host.address
    return device


def _common(ev: Event, class_uid: int, category_uid: int, activity_id: int) -> dict[str, Any]:
    sev = SEVERITY_ID.get(ev.severity, 0)
    return {
        "activity_id": activity_id,
        "category_uid": category_uid,
        "class_uid": class_uid,
        "type_uid": class_uid * 100 + activity_id,
        "severity_id": sev,
        "severity": ev.severity.capitalize() if sev else "Unknown",
        "time": epoch_ms(ev.at),
        "message": ev.message,
        "metadata": {"version": OCSF_VERSION, "uid": ev.id, "log_provider": ev.source_kind,
                     "product": {"vendor_name": "diagctl", "name": "diagctl",
                                 "version": ev.tool_version}},
        "device": _device(ev),
        "unmapped": {"diagctl": {"type": ev.type, "status": ev.status, "check_id": ev.check_id,
                                 "entity": ev.entity, "action": ev.action, **ev.fields}},
    }  # fmt: skip


def document(ev: Event) -> dict[str, Any]:
    """The OCSF event of one diagctl event (a plain dict, JSON-ready)."""
    if ev.type == "host_run":
        doc = _common(ev, DEVICE_INVENTORY_INFO, DISCOVERY_CATEGORY, ACTIVITY_COLLECT)
        doc.update(class_name="Device Inventory Info", category_name="Discovery",
                   activity_name="Collect")  # fmt: skip
        return doc
    doc = _common(ev, DETECTION_FINDING, FINDINGS_CATEGORY, ACTIVITY_CREATE)
    doc.update(
        class_name="Detection Finding", category_name="Findings", activity_name="Create",
        status_id=STATUS_ID.get(ev.outcome, 0),
        finding_info={"uid": ev.id, "title": ev.title, "desc": ev.message,
                      "types": [ev.type], "data_sources": [ev.source_kind]},
        resources=[{"type": "host", "name": ev.host.name, "uid": ev.entity or ev.host.name}],
    )  # fmt: skip
    return doc
