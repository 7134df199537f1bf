"""A phase command's move: along the graph when the gate passes on the recorded evidence."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lifecycle.evidence import evidence_of
from lifecycle.phases import Phase, decide
from schemas.lifecycle import EvidencePointer

if TYPE_CHECKING:
    from lifecycle.registry.store import Registry


def move_if_gate(
    reg: Registry, key: str, to: str, who: str, reason: str, pointers: list[EvidencePointer]
) -> tuple[bool, list[str]]:
    """Move asset `key` to `to` when its gate passes: (moved, what the gate missed). An asset
    already in `to` stays put (moved False, nothing missing)."""
    asset = reg.get(key)
    if asset.phase == to:
        return False, []
    d = decide(Phase(asset.phase), Phase(to), evidence_of(reg.history(asset.host_id)))
    if not d.moves:
        return False, list(d.missing) or [f"no transition {asset.phase} -> {to}"]
    reg.move(asset.host_id, Phase(to), asset.version, d, who, reason[:400], pointers)
    return True, []
