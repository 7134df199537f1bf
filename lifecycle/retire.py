"""End of life: `retire` takes an asset out for good (phase retire) and records the operator's
data-sanitisation attestation; `redeploy` sends an attested asset back to provision, possibly
in another class. The attestation is the operator's word on what was done to the disks: a dry
run prints a confirmation token bound to the asset, the method and the evidence text, and only
the same token with `--confirm` records it (a typo or a stale token records nothing)."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from diag import redact
from lifecycle.moves import move_if_gate
from lifecycle.registry.errors import RegistryError
from schemas.lifecycle import EvidencePointer

if TYPE_CHECKING:
    from lifecycle.registry.store import Registry

METHODS = ("crypto-erase", "block-erase", "overwrite", "nvme-format", "ata-secure-erase",
           "destroyed")  # fmt: skip


def confirm_token(host_id: str, version: int, method: str, note: str) -> str:
    """12 hex digits over what is being attested and the asset's version (so a token printed
    before anyone else changed the asset does not confirm after)."""
    text = "\0".join((host_id, str(version), method, note))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def retire(reg: Registry, key: str, reason: str, who: str) -> tuple[bool, list[str]]:
    """Move to retire (open from receive and monitor; from incident once it is resolved)."""
    return move_if_gate(reg, key, "retire", who, redact.text(reason) or "retired", [])


def attest(
    reg: Registry, key: str, method: str, note: str, confirm: str, who: str
) -> tuple[str, bool]:
    """(token, recorded): records the `sanitise` step only when `confirm` is the token."""
    asset = reg.get(key)
    if asset.phase != "retire":
        raise RegistryError(f"{key}: phase {asset.phase}: sanitisation is attested in retire")
    if method not in METHODS:
        raise RegistryError(f"--method {method!r}: one of {', '.join(METHODS)}")
    note = redact.text(note)
    token = confirm_token(asset.host_id, asset.version, method, note)
    if not confirm:
        return token, False
    if confirm != token:
        raise RegistryError(f"{key}: --confirm {confirm!r} is not this attestation's token "
                            "(run without --confirm to see it)")  # fmt: skip
    ptr = EvidencePointer(kind="note", note=f"sanitised by {method}: {note}"[:1000])
    reg.record(asset.host_id, "sanitise", "pass", who, f"{method}: {note}"[:400], [ptr])
    return token, True


def redeploy(reg: Registry, key: str, host_class: str, who: str) -> list[str]:
    """Back to provision through the redeploy gate, as class `host_class`; what is missing."""
    from lifecycle.registry.store import AssetInfo

    asset = reg.get(key)
    moved, missing = move_if_gate(reg, key, "provision", who, f"redeploy as {host_class}", [])
    if moved and host_class and host_class != asset.host_class:
        info: AssetInfo = AssetInfo(asset.host_id, asset.name, host_class, asset.serials,
                                    asset.inventory)  # fmt: skip
        reg.register(info, who)
    return missing
