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


# Need no capability of the disk's controller: a host-side overwrite of every block, or the
# physical destruction of the drive.
ANY_DISK = ("overwrite", "destroyed")


def refusal(reg: Registry, host_id: str, method: str) -> str:
    """Why the newest recorded detection says `method` cannot have been used; "" if it can
    (or no detection was recorded, or the disk's answer was unknown)."""
    from lifecycle.retire_report import latest_detection

    devices = latest_detection(reg, host_id)
    if method in ANY_DISK or not devices:
        return ""
    lacking = [d for d in devices if not d.unknown and method not in d.methods_supported]
    said = "; ".join(
        f"{d.device} {d.model} {d.serial}: {', '.join(d.methods_supported) or 'none'}"
        for d in lacking
    )
    return f"the recorded detection says a disk does not support {method} ({said})" if said else ""


def attest(
    reg: Registry, key: str, method: str, note: str, confirm: str, who: str, forced: str = ""
) -> tuple[str, bool]:
    """(token, recorded): records the `sanitise` step only when `confirm` is the token. A
    method the recorded detection says a disk lacks is refused unless `forced` (the reason
    given with --force), which is recorded with it."""
    asset = reg.get(key)
    if asset.phase != "retire":
        raise RegistryError(f"{key}: phase {asset.phase}: sanitisation is attested in retire")
    if method not in METHODS:
        raise RegistryError(f"--method {method!r}: one of {', '.join(METHODS)}")
    note, forced = redact.text(note), redact.text(forced)
    problem = refusal(reg, asset.host_id, method)
    if problem and not forced:
        raise RegistryError(f"{key}: --method {method}: {problem}; to attest it anyway add "
                            "--force --reason TEXT")  # fmt: skip
    text = f"{note}\0{forced}" if forced else note
    token = confirm_token(asset.host_id, asset.version, method, text)
    if not confirm:
        return token, False
    if confirm != token:
        raise RegistryError(f"{key}: --confirm {confirm!r} is not this attestation's token "
                            "(run without --confirm to see it)")  # fmt: skip
    ptr = EvidencePointer(kind="note", note=f"sanitised by {method}: {note}"[:1000])
    ptrs = [ptr]
    if problem:
        ptrs.append(EvidencePointer(kind="note", note=f"forced past: {problem}; {forced}"[:1000]))
    why = f"{method}: {note}" + (f" (forced: {forced})" if problem else "")
    reg.record(asset.host_id, "sanitise", "pass", who, why[:400], ptrs)
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
