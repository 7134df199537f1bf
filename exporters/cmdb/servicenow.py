"""Asset records → ServiceNow Identification and Reconciliation (IRE) payloads, one per host.

POST {instance}/api/now/identifyreconcile?sysparm_data_source=diagctl with the payload as body.
The IRE identifies a CI by the instance's identification rules; the payload gives it what the
base rules for hardware look at first: `serial_number` (and a `cmdb_serial_number` lookup row),
then `name`. A GPU without a serial is identified by `correlation_id` (its UUID).
Empty values are left out, so a host we could not read never blanks a field in the CMDB.
`u_` fields are custom columns the site adds to the class (docs/exporters.md#cmdb).
"""

from __future__ import annotations

from typing import Any

from schemas.cmdb import AssetRecord, SnowItem, SnowLookup, SnowPayload, SnowRelation

PATH = "/api/now/identifyreconcile"
DATA_SOURCE = "diagctl"  # a choice of cmdb_ci.discovery_source the site adds
SERVER_CLASS = "cmdb_ci_server"
GPU_CLASS = "cmdb_ci_hardware"  # no GPU class in the base CMDB; sites may map their own
CONTAINS = "Contains::Contained by"


def _values(pairs: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in pairs.items() if v not in ("", None)}


def _serial_lookup(serial: str, kind: str) -> list[SnowLookup]:
    if not serial:
        return []
    values = {"serial_number": serial, "serial_number_type": kind, "valid": "true"}
    return [SnowLookup(className="cmdb_serial_number", values=values)]


def server_item(rec: AssetRecord) -> SnowItem:
    values = _values(
        {
            "name": rec.name,
            "host_name": rec.hostname,
            "ip_address": rec.address,
            "serial_number": rec.serial,
            "correlation_id": rec.host_id,
            "manufacturer": rec.system_vendor,
            "model_number": rec.product_name,
            "os": rec.os,
            "os_version": rec.kernel,
            "cpu_count": rec.cpu_count or None,
            "u_bios_version": rec.bios_version,
            "u_gpu_driver_version": rec.driver_version,
            "u_cuda_version": rec.cuda_version,
            "u_gpu_count": len(rec.gpus) or None,
            "u_health_status": rec.health_status,
            "u_lifecycle_phase": rec.lifecycle_phase,
            "u_mu_capacity": rec.mu_capacity,
        }
    )
    lookup = _serial_lookup(rec.serial, "system") + _serial_lookup(rec.board_serial, "board")
    return SnowItem(className=SERVER_CLASS, values=values, lookup=lookup)


def payload(rec: AssetRecord, gpu_class: str = GPU_CLASS) -> SnowPayload:
    """The server item first, then one item per GPU, each `Contained by` the server."""
    items = [server_item(rec)]
    for gpu in rec.gpus:
        values = _values(
            {
                "name": f"{rec.name} GPU{gpu.index}",
                "serial_number": gpu.serial,
                "correlation_id": gpu.uuid,
                "model_number": gpu.name,
                "manufacturer": "NVIDIA" if gpu.name else "",
                "u_gpu_uuid": gpu.uuid,
                "u_vbios_version": gpu.vbios,
                "u_pci_address": gpu.bdf,
            }
        )
        items.append(
            SnowItem(className=gpu_class, values=values, lookup=_serial_lookup(gpu.serial, "gpu"))
        )
    relations = [SnowRelation(parent=0, child=i, type=CONTAINS) for i in range(1, len(items))]
    return SnowPayload(items=items, relations=relations)


def identity(rec: AssetRecord) -> str:
    return f"serial {rec.serial}" if rec.serial else f"name {rec.name}"
