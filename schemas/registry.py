"""Every document kind diagctl emits or reads, and its JSON Schema export."""

from __future__ import annotations

import json

from pydantic import BaseModel

from schemas.airgap import BundleManifest, CloudInitValues
from schemas.bundle import BundleEnvelope, Manifest
from schemas.cmdb import AssetRecord, NetboxPayload, PushAudit, SnowPayload
from schemas.config import ConfigFile
from schemas.envelope import SCHEMA_VERSION, Envelope
from schemas.health import HealthEnvelope, RunSummary
from schemas.health_act import ActConfig
from schemas.ingest import CollectedRecord
from schemas.lifecycle import AssetEnvelope, HistoryEnvelope, ReceiveEnvelope
from schemas.lifecycle import Manifest as ExpectedManifest
from schemas.lifecycle_maintain import IncidentEnvelope, MaintainEnvelope, ProvisionEnvelope
from schemas.lifecycle_monitor import MonitorEnvelope
from schemas.lifecycle_retire import RetireEnvelope
from schemas.mu import CalibrationFile, MuDecayEnvelope, MuReportEnvelope, ReservationsFile
from schemas.payload import PayloadOutput
from schemas.policy import PolicyFile
from schemas.probe import AuditEnvelope, AuditRecord, ProbeEnvelope, StateFile, TargetsFile
from schemas.reset import RebootIntent, ResetEnvelope
from schemas.siem import EcsEvent, HecEvent, OcsfEvent, SyslogMessage

# A plain dict: document kind → model. New kinds (probe results, audit events) add a line.
DOCUMENTS: dict[str, type[BaseModel]] = {
    "envelope": Envelope,
    "health.l1": HealthEnvelope,
    "run.summary": RunSummary,
    "policy": PolicyFile,
    "payload.output": PayloadOutput,
    "probe.result": ProbeEnvelope,
    "probe.audit": AuditEnvelope,
    "probe.audit_record": AuditRecord,
    "probe.targets": TargetsFile,
    "probe.state": StateFile,
    "config": ConfigFile,
    "bundle": BundleEnvelope,
    "bundle.manifest": Manifest,
    "reset_reason": ResetEnvelope,
    "reset.intent": RebootIntent,
    "siem.ecs": EcsEvent,
    "siem.ocsf": OcsfEvent,
    "siem.hec": HecEvent,
    "siem.syslog": SyslogMessage,
    "cmdb.asset": AssetRecord,
    "cmdb.servicenow": SnowPayload,
    "cmdb.netbox": NetboxPayload,
    "cmdb.audit_record": PushAudit,
    "health.act_config": ActConfig,
    "mu.calibration": CalibrationFile,
    "mu.reservations": ReservationsFile,
    "mu.report": MuReportEnvelope,
    "mu.decay": MuDecayEnvelope,
    "airgap.manifest": BundleManifest,
    "airgap.values": CloudInitValues,
    "lifecycle.manifest": ExpectedManifest,
    "lifecycle.asset": AssetEnvelope,
    "lifecycle.retire": RetireEnvelope,
    "lifecycle.transition": HistoryEnvelope,
    "lifecycle.action": HistoryEnvelope,
    "lifecycle.receive": ReceiveEnvelope,
    "lifecycle.maintain": MaintainEnvelope,
    "lifecycle.incident": IncidentEnvelope,
    "lifecycle.provision": ProvisionEnvelope,
    "lifecycle.monitor": MonitorEnvelope,
    "ingest.collected": CollectedRecord,
}


def schema_of(kind: str) -> dict[str, object]:
    schema = DOCUMENTS[kind].model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://diagctl.dev/schemas/{SCHEMA_VERSION}/{kind}.schema.json"
    return schema


def render(kind: str) -> str:
    return json.dumps(schema_of(kind), indent=2, sort_keys=True) + "\n"
