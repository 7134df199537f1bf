"""Splunk HTTP Event Collector events: the JSON objects of `POST /services/collector/event`.

Each object is {"time": epoch seconds, "host", "source", "sourcetype", "event", "fields"}; the
`event` body is the ECS document, so Splunk and Elastic users search the same field names.
A batch is the objects one after the other in one request body (HEC's documented batching),
here separated by newlines. `fields` are indexed fields: flat strings only.
"""

from __future__ import annotations

from typing import Any

from exporters.siem import ecs
from exporters.siem.events import Event
from exporters.siem.ocsf import epoch_ms

SOURCE, SOURCETYPE = "diagctl", "diagctl:ecs"
PATH = "/services/collector/event"


def document(ev: Event) -> dict[str, Any]:
    return {
        "time": epoch_ms(ev.at) / 1000,
        "host": ev.host.name,
        "source": SOURCE,
        "sourcetype": SOURCETYPE,
        "event": ecs.document(ev),
        "fields": {"event_id": ev.id, "diagctl_type": ev.type, "diagctl_status": ev.status},
    }
