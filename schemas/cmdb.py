"""CMDB export documents: the asset record diagctl projects from envelopes, and the payloads it
sends to ServiceNow (Identification and Reconciliation API) and NetBox (REST, through pynetbox).

ServiceNow IRE request body (POST /api/now/identifyreconcile), as its REST API reference gives it:
    {"items": [{"className": "cmdb_ci_server", "values": {...}, "lookup": [...]}, ...],
     "relations": [{"parent": 0, "child": 1, "type": "Contains::Contained by"}]}
`parent`/`child` are indexes into `items`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from schemas.asset import GpuAsset
from schemas.envelope import Strict


class AssetRecord(Strict):
    """One host as a CMDB sees it, merged from every envelope about it (kind ``cmdb.asset``)."""

    name: str = Field(description="The host as the user named it (inventory name).")
    hostname: str = ""
    address: str = ""
    host_id: str = ""
    host_id_source: str = ""
    system_vendor: str = ""
    product_name: str = ""
    serial: str = Field(default="", description="DMI product_serial: the CMDB identity.")
    product_uuid: str = ""
    board_serial: str = ""
    bios_version: str = ""
    os: str = ""
    kernel: str = ""
    cpu_count: int = 0
    driver_version: str = ""
    cuda_version: str = ""
    health_status: str = Field(default="", description="The host's worst status in that run.")
    collected_at: str = ""
    lifecycle_phase: str = Field(default="", description="From lifecycle envelopes, if any.")
    mu_capacity: float | None = Field(
        default=None, description="Model-Unit capacity (MU/s) from Model-Unit envelopes, if any."
    )
    gpus: list[GpuAsset] = Field(default_factory=list)


class SnowLookup(Strict):
    className: str
    values: dict[str, str]


class SnowItem(Strict):
    className: str
    values: dict[str, Any]
    lookup: list[SnowLookup] = Field(default_factory=list)


class SnowRelation(Strict):
    parent: int = Field(ge=0)
    child: int = Field(ge=0)
    type: str


class SnowPayload(Strict):
    """One IRE request: a server, its GPUs, and their Contains relations (kind
    ``cmdb.servicenow``)."""

    items: list[SnowItem]
    relations: list[SnowRelation] = Field(default_factory=list)


class NetboxInventoryItem(Strict):
    name: str
    serial: str = ""
    part_id: str = ""
    description: str = ""
    custom_fields: dict[str, Any] = Field(default_factory=dict)


class NetboxDevice(Strict):
    name: str
    serial: str = ""
    device_type: dict[str, str] = Field(description="Nested lookup, e.g. {'model': 'X'}.")
    role: dict[str, str] = Field(description="Nested lookup by slug (NetBox >= 4.0).")
    site: dict[str, str] = Field(description="Nested lookup by slug.")
    status: Literal["active", "offline", "planned", "staged", "failed", "inventory"] = "active"
    custom_fields: dict[str, Any] = Field(default_factory=dict)


class NetboxPayload(Strict):
    """One device and one inventory item per GPU (kind ``cmdb.netbox``)."""

    device: NetboxDevice
    inventory_items: list[NetboxInventoryItem] = Field(default_factory=list)


class PushAudit(Strict):
    """One line of the CMDB push audit log (kind ``cmdb.audit_record``)."""

    at: str = Field(description="UTC RFC 3339.")
    who: str
    format: Literal["servicenow", "netbox"]
    url: str = Field(description="Receiver URL, credentials redacted.")
    host: str
    identity: str = Field(description="What the CMDB identifies the asset by: serial, else name.")
    result: Literal["pushed", "spooled", "failed"] = Field(
        description="pushed: the CMDB took it; spooled: the receiver was down, it waits in the "
        "spool; failed: refused (4xx) or not kept."
    )
    detail: str = ""
