"""A health run's `data.inventory`: the host's identity and hardware, from captures it already
made (DMI files in the `facts` capture, the GPU snapshot the GPU checks read)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from diag.checks.gpu.view import gpu_view
from schemas.capture import Capture

if TYPE_CHECKING:
    from schemas.asset import HostInventory

# Strings firmware vendors leave in DMI fields they did not fill: not an identity.
PLACEHOLDERS = frozenset(
    {
        "",
        "none",
        "n/a",
        "not specified",
        "not applicable",
        "default string",
        "to be filled by o.e.m.",
        "system serial number",
        "system product name",
        "0",
        "0123456789",
    }
)


def dmi(facts: Mapping[str, object], key: str) -> str:
    """A DMI value from the facts, empty when absent or a vendor placeholder."""
    value = str(facts.get(key, "") or "").strip()
    return "" if value.lower() in PLACEHOLDERS else value[:256]


def inventory_fields(
    facts: Mapping[str, object], caps: Mapping[str, Capture], memo: dict[str, Any] | None
) -> dict[str, Any]:
    """`data.inventory` as plain data, in HostInventory's field order (the `--local` fast path
    writes it without pydantic); GPU fields stay empty when no GPU backend answered."""
    view = gpu_view(caps, memo)
    snap = view.snapshot
    gpus = [
        {
            "index": g.index,
            "uuid": g.uuid,
            "serial": g.serial,
            "name": g.name,
            "vbios": g.vbios,
            "bdf": g.bdf,
        }
        for g in view.gpus
    ]
    return {
        "system_vendor": dmi(facts, "sys_vendor"),
        "product_name": dmi(facts, "product_name"),
        "product_serial": dmi(facts, "product_serial"),
        "product_uuid": dmi(facts, "product_uuid"),
        "board_serial": dmi(facts, "board_serial"),
        "bios_version": dmi(facts, "bios_version"),
        "driver_version": snap.driver_version if snap else "",
        "cuda_version": snap.cuda_version if snap else "",
        "gpu_backend": snap.backend if snap else "",
        "gpus": gpus,
    }


def host_inventory(
    facts: Mapping[str, object], caps: Mapping[str, Capture], memo: dict[str, Any] | None
) -> HostInventory:
    """The host's inventory; GPU fields stay empty when no GPU backend answered."""
    from schemas.asset import HostInventory

    return HostInventory.model_validate(inventory_fields(facts, caps, memo))
