"""The events `diagctl export siem` writes, one model per format (their JSON Schemas are in
schemas/json/siem.*.schema.json). Only the fields diagctl sets; values kind-specific to
diagctl sit under `diagctl` (ECS) or `unmapped.diagctl` (OCSF) and are free-form."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from schemas.envelope import Strict


class EcsEventField(Strict):
    id: str
    kind: Literal["alert", "state", "event"]
    category: list[Literal["host", "configuration"]]
    type: list[Literal["info", "change"]]
    outcome: Literal["success", "failure", "unknown"]
    severity: int = Field(ge=0, le=5)
    module: Literal["diagctl"]
    dataset: str
    provider: str
    reason: str
    action: str = ""


class EcsHost(Strict):
    name: str
    hostname: str = ""
    id: str = ""
    ip: list[str] = Field(default_factory=list)


class EcsObserver(Strict):
    vendor: str
    product: str
    version: str
    type: str


class EcsRule(Strict):
    id: str
    name: str


class EcsVersion(Strict):
    version: str


class EcsEvent(Strict):
    """One ECS document (ECS version pinned in `ecs.version`)."""

    timestamp: str = Field(alias="@timestamp")
    ecs: EcsVersion
    message: str
    event: EcsEventField
    host: EcsHost
    observer: EcsObserver
    diagctl: dict[str, Any]
    rule: EcsRule | None = None


class OcsfProduct(Strict):
    vendor_name: str
    name: str
    version: str


class OcsfMetadata(Strict):
    version: str
    uid: str
    log_provider: str
    product: OcsfProduct


class OcsfDevice(Strict):
    type_id: int
    type: str
    name: str
    hostname: str
    uid: str = ""
    ip: str = ""


class OcsfFindingInfo(Strict):
    uid: str
    title: str
    desc: str
    types: list[str]
    data_sources: list[str]


class OcsfResource(Strict):
    type: str
    name: str
    uid: str


class OcsfEvent(Strict):
    """OCSF 1.5.0: Detection Finding (class 2004) or Device Inventory Info (class 5001)."""

    activity_id: int
    activity_name: str
    category_uid: Literal[2, 5]
    category_name: str
    class_uid: Literal[2004, 5001]
    class_name: str
    type_uid: int
    severity_id: int = Field(ge=0, le=6)
    severity: str
    time: int = Field(description="Epoch milliseconds.")
    message: str
    metadata: OcsfMetadata
    device: OcsfDevice
    unmapped: dict[str, Any]
    status_id: int | None = None
    finding_info: OcsfFindingInfo | None = None
    resources: list[OcsfResource] | None = None


class HecEvent(Strict):
    """One Splunk HEC event object (`POST /services/collector/event`); `event` is ECS."""

    time: float
    host: str
    source: str
    sourcetype: str
    event: EcsEvent
    fields: dict[str, str]


class SyslogMessage(Strict):
    """The parts of one RFC 5424 message as diagctl writes it (the wire form is text)."""

    pri: int = Field(ge=0, le=191)
    version: Literal[1] = 1
    timestamp: str
    hostname: str = Field(max_length=255, pattern=r"^[\x21-\x7e]+$")
    app_name: Literal["diagctl"] = "diagctl"
    procid: Literal["-"] = "-"
    msgid: str = Field(max_length=32, pattern=r"^[\x21-\x7e]+$")
    structured_data: dict[str, dict[str, str]] = Field(description="SD-ID -> params.")
    msg: str
