"""Per-GPU board serials: what the manifest lists for a machine against what its health run
read (`data.inventory.gpus[].serial`, NVML's nvmlDeviceGetSerial or nvidia-smi's `<serial>`).
Pure: lists in, findings out.

A board serial identifies the GPU module, not the slot: a vendor that built two machines of one
order with each other's boards shows up as host A reporting a serial the manifest lists for B.
Serials are compared as sets (GPU indices follow PCI enumeration, not the packing list).
Consumer and some older boards report no serial (NVML says "not supported"; the payload keeps
an empty string): an empty serial is "not readable", never a mismatch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from schemas.envelope import Finding, Status
from schemas.lifecycle import Manifest, ManifestEntry

Make = Callable[..., Finding]  # acceptance._f: (check_id, status, entity, message, **kw)
ENTITY = "gpu_serials"


def owners(manifest: Manifest) -> dict[str, str]:
    """GPU serial -> the manifest entry listing it (its name, else its system serial)."""
    return {g: (a.name or a.serial) for a in manifest.assets for g in a.gpu_serials}


def observed_serials(data: Any) -> list[str]:
    """The GPU serials of a health envelope's `data` (a dict read back from JSON, or the
    HealthData model of a run in this process), by GPU index; empty where not reported."""
    inv = data.get("inventory") if isinstance(data, dict) else getattr(data, "inventory", None)
    if inv is None:
        return []
    gpus = inv.get("gpus", []) if isinstance(inv, dict) else inv.gpus
    out = []
    for g in gpus if isinstance(gpus, list) else []:
        serial = g.get("serial", "") if isinstance(g, dict) else getattr(g, "serial", "")
        out.append(str(serial or "").strip())
    return out


def compare_serials(
    entry: ManifestEntry, seen: Sequence[str], owner_of: Mapping[str, str], make: Make
) -> list[Finding]:
    """One finding per expected serial the host lacks and per serial it has that the entry
    does not list (naming the entry that does: a swap); unknown when none could be read."""
    want = list(entry.gpu_serials)
    if not want:
        return []
    have = [s for s in seen if s]
    here = entry.name or entry.serial
    if not have:
        why = f"{len(seen)} GPU(s) reported no serial" if seen else "no GPU serials reported"
        msg = f"GPU serials: not readable on the host ({why}), manifest lists {len(want)}"
        return [make("lifecycle.manifest", Status.UNKNOWN, ENTITY, msg, threshold=want)]
    out: list[Finding] = []
    for s in want:
        if s not in have:
            msg = f"GPU serial {s} listed for {here} is not on this host (it has {', '.join(have)})"
            out.append(
                make("lifecycle.manifest", Status.FAIL, ENTITY, msg, observed=have, threshold=s)
            )
    for s in have:
        if s in want:
            continue
        other = owner_of.get(s)
        where = f"the manifest lists it for {other} (swapped?)" if other else "not in the manifest"
        msg = f"GPU serial {s} on this host: {where}; {here} expects {', '.join(want)}"
        out.append(make("lifecycle.manifest", Status.FAIL, ENTITY, msg, observed=s, threshold=want))
    return out
