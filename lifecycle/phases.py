"""The phase state machine of a GPU node: pure, no I/O, no clock.

    receive ──► provision ──► monitor ◄──► maintain
       │            ▲            │  ▲          │
       │            │            ▼  │          ▼
       │            │          incident ◄──────┘
       │            │            │
       └──────────► retire ◄─────┘ (and monitor ──► retire)
                    │
                    └──► provision (redeploy)

An edge carries a gate: a pure function of `Evidence` that lists what is still missing. An
asset moves only along an edge, and only when nothing is missing — or when the operator forces
it with a reason (`decide(..., force=True, reason=...)`), which the registry records with who
and when. Forcing overrides a gate, never the graph: there is no edge from receive to monitor.

Edges that take capacity out of service (into maintain, incident, retire) have open gates:
pulling a node must never wait for evidence. Edges that put capacity into service need it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum


class Phase(str, Enum):
    RECEIVE = "receive"
    PROVISION = "provision"
    MONITOR = "monitor"
    MAINTAIN = "maintain"
    INCIDENT = "incident"
    RETIRE = "retire"


@dataclass(frozen=True)
class Evidence:
    """What is known about an asset when it asks to move. None: not captured (never a pass).

    The `*_required` flags say whether the site configured that step (a burn-in command, a
    probe endpoint); a step that is not required does not block its gate.
    """

    identity_captured: bool = False
    manifest_match: bool | None = None
    l1_pass: bool | None = None
    burn_in_required: bool = False
    burn_in_pass: bool | None = None
    probe_required: bool = False
    probe_healthy: bool | None = None
    baseline_conformant: bool | None = None
    incident_resolved: bool | None = None
    sanitised: bool | None = None


Gate = Callable[[Evidence], list[str]]


def _need(value: bool | None, what: str) -> list[str]:
    """`what` when `value` is not a captured True: a failure and a missing capture both block."""
    if value is None:
        return [f"{what}: not captured"]
    return [] if value else [f"{what}: failed"]


def open_gate(ev: Evidence) -> list[str]:
    return []


def accept_gate(ev: Evidence) -> list[str]:
    """receive -> provision: identity + manifest match + L1 pass [+ burn-in] [+ probe]."""
    missing = [] if ev.identity_captured else ["identity: not captured"]
    missing += _need(ev.manifest_match, "manifest match")
    missing += _need(ev.l1_pass, "L1 health")
    if ev.burn_in_required:
        missing += _need(ev.burn_in_pass, "burn-in")
    if ev.probe_required:
        missing += _need(ev.probe_healthy, "token probe")
    return missing


def service_gate(ev: Evidence) -> list[str]:
    """provision -> monitor: the class baseline conforms and L1 passes [+ probe]."""
    missing = _need(ev.baseline_conformant, "baseline conformance") + _need(ev.l1_pass, "L1 health")
    if ev.probe_required:
        missing += _need(ev.probe_healthy, "token probe")
    return missing


def return_gate(ev: Evidence) -> list[str]:
    """maintain -> monitor: the post-check L1 passes [+ probe]."""
    missing = _need(ev.l1_pass, "L1 health")
    if ev.probe_required:
        missing += _need(ev.probe_healthy, "token probe")
    return missing


def resolve_gate(ev: Evidence) -> list[str]:
    """incident -> monitor: the incident is closed with a resolution and L1 passes."""
    return _need(ev.incident_resolved, "incident resolution") + return_gate(ev)


def close_gate(ev: Evidence) -> list[str]:
    """incident -> retire: the incident is closed with a resolution (e.g. RMA)."""
    return _need(ev.incident_resolved, "incident resolution")


def redeploy_gate(ev: Evidence) -> list[str]:
    """retire -> provision: data sanitisation attested before the node serves anyone else."""
    return _need(ev.sanitised, "sanitisation attestation")


EDGES: dict[tuple[Phase, Phase], Gate] = {
    (Phase.RECEIVE, Phase.PROVISION): accept_gate,
    (Phase.RECEIVE, Phase.RETIRE): open_gate,  # a rejected delivery goes back to the vendor
    (Phase.PROVISION, Phase.MONITOR): service_gate,
    (Phase.PROVISION, Phase.INCIDENT): open_gate,
    (Phase.MONITOR, Phase.MAINTAIN): open_gate,
    (Phase.MONITOR, Phase.INCIDENT): open_gate,
    (Phase.MONITOR, Phase.RETIRE): open_gate,
    (Phase.MAINTAIN, Phase.MONITOR): return_gate,
    (Phase.MAINTAIN, Phase.INCIDENT): open_gate,
    (Phase.INCIDENT, Phase.MONITOR): resolve_gate,
    (Phase.INCIDENT, Phase.RETIRE): close_gate,
    (Phase.RETIRE, Phase.PROVISION): redeploy_gate,
}


def next_phases(current: Phase) -> list[Phase]:
    """Where an asset in `current` may go, in the order of EDGES."""
    return [to for (frm, to) in EDGES if frm is current]


class Verdict(str, Enum):
    MOVE = "move"  # the gate passed
    FORCED = "forced"  # the gate failed and the operator forced it, with a reason
    BLOCKED = "blocked"  # the gate failed: `missing` says why
    ILLEGAL = "illegal"  # no such edge; forcing does not help
    NO_REASON = "no_reason"  # --force without a reason


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    missing: tuple[str, ...] = ()

    @property
    def moves(self) -> bool:
        return self.verdict in (Verdict.MOVE, Verdict.FORCED)


def decide(
    current: Phase, target: Phase, ev: Evidence, force: bool = False, reason: str = ""
) -> Decision:
    """Whether an asset in `current` may move to `target` on this evidence."""
    gate = EDGES.get((current, target))
    if gate is None:
        return Decision(Verdict.ILLEGAL)
    missing = tuple(gate(ev))
    if not missing:
        return Decision(Verdict.MOVE)
    if not force:
        return Decision(Verdict.BLOCKED, missing)
    if not reason.strip():
        return Decision(Verdict.NO_REASON, missing)
    return Decision(Verdict.FORCED, missing)
