"""Asset records → NetBox payloads: one device, one inventory item per GPU (NetBox >= 4.0).

Related objects are given as nested lookups (`{"slug": ...}`, `{"model": ...}`), which NetBox's
REST API resolves on write; the site, the role and the device type must already exist. Custom
fields (`diagctl_*`) must be created once in NetBox (docs/exporters.md#cmdb). The push goes
through NetBox's official client, pynetbox: a device is found by serial first, then by name, and
updated (only changed fields) or created; inventory items by device and name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from schemas.cmdb import AssetRecord, NetboxDevice, NetboxInventoryItem, NetboxPayload


@dataclass(frozen=True)
class NetboxPlace:
    """Where new devices go: slugs of objects that exist in NetBox."""

    site: str = "default"
    role: str = "gpu-server"


def _fields(pairs: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in pairs.items() if v not in ("", None)}


def payload(rec: AssetRecord, place: NetboxPlace) -> NetboxPayload:
    device = NetboxDevice(
        name=rec.name,
        serial=rec.serial,
        device_type={"model": rec.product_name or "unknown"},
        role={"slug": place.role},
        site={"slug": place.site},
        custom_fields=_fields(
            {
                "diagctl_host_id": rec.host_id,
                "diagctl_bios_version": rec.bios_version,
                "diagctl_gpu_driver": rec.driver_version,
                "diagctl_cuda_version": rec.cuda_version,
                "diagctl_health": rec.health_status,
                "diagctl_lifecycle_phase": rec.lifecycle_phase,
                "diagctl_mu_capacity": rec.mu_capacity,
            }
        ),
    )
    items = [
        NetboxInventoryItem(
            name=f"GPU{g.index}",
            serial=g.serial,
            part_id=g.name,
            description=f"{g.name} at {g.bdf}".strip() if g.bdf else g.name,
            custom_fields=_fields({"diagctl_gpu_uuid": g.uuid, "diagctl_vbios": g.vbios}),
        )
        for g in rec.gpus
    ]
    return NetboxPayload(device=device, inventory_items=items)
