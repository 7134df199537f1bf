"""Gate evidence from an asset's history: the results of the steps recorded since it entered
its current phase (the newest result of each step wins). Pure: history in, Evidence out.

A phase command records a step as an action named after it (`Registry.record(host_id, "l1",
"pass", ...)`); the gates of phases.py then see it. Outcomes: pass and warn count as passed,
fail as failed, unknown as not captured.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from lifecycle.phases import Evidence
from schemas.lifecycle import HistoryEntry

# Action name -> the Evidence field its outcome sets.
STEPS: dict[str, str] = {
    "identity": "identity_captured",
    "manifest": "manifest_match",
    "l1": "l1_pass",
    "burn_in": "burn_in_pass",
    "probe": "probe_healthy",
    "baseline": "baseline_conformant",
    "incident_close": "incident_resolved",
    "sanitise": "sanitised",
}
# A step that was run at all is required for this phase's gate.
REQUIRED_WHEN_RUN = {"burn_in": "burn_in_required", "probe": "probe_required"}
_OUTCOME = {"pass": True, "warn": True, "fail": False, "unknown": None}


def current_phase_entries(entries: Sequence[HistoryEntry]) -> list[HistoryEntry]:
    """The entries after the last transition (the history of the phase the asset is in)."""
    last = max((i for i, e in enumerate(entries) if e.entry == "transition"), default=-1)
    return list(entries[last + 1 :])


def evidence_of(entries: Sequence[HistoryEntry]) -> Evidence:
    ev = Evidence()
    for e in current_phase_entries(entries):
        name = STEPS.get(e.action) if e.entry == "action" else None
        if name is None:
            continue
        value = _OUTCOME[e.outcome]
        changes: dict[str, Any] = {name: bool(value) if name == "identity_captured" else value}
        if e.action in REQUIRED_WHEN_RUN:
            changes[REQUIRED_WHEN_RUN[e.action]] = True
        ev = replace(ev, **changes)
    return ev
