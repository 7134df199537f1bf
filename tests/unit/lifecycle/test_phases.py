"""The phase state machine: the graph, every gate's boundaries, and decide()'s verdicts."""

from __future__ import annotations

import pytest

from lifecycle.phases import (
    EDGES,
    Decision,
    Evidence,
    Phase,
    Verdict,
    accept_gate,
    close_gate,
    decide,
    next_phases,
    open_gate,
    redeploy_gate,
    resolve_gate,
    return_gate,
    service_gate,
)

R, P, M, MA, INC, RT = (
    Phase.RECEIVE,
    Phase.PROVISION,
    Phase.MONITOR,
    Phase.MAINTAIN,
    Phase.INCIDENT,
    Phase.RETIRE,
)
ACCEPTED = Evidence(identity_captured=True, manifest_match=True, l1_pass=True)


def test_the_graph_is_exactly_the_documented_one() -> None:
    assert {(a.value, b.value): g.__name__ for (a, b), g in EDGES.items()} == {
        ("receive", "provision"): "accept_gate",
        ("receive", "retire"): "open_gate",
        ("provision", "monitor"): "service_gate",
        ("provision", "incident"): "open_gate",
        ("monitor", "maintain"): "open_gate",
        ("monitor", "incident"): "open_gate",
        ("monitor", "retire"): "open_gate",
        ("maintain", "monitor"): "return_gate",
        ("maintain", "incident"): "open_gate",
        ("incident", "monitor"): "resolve_gate",
        ("incident", "retire"): "close_gate",
        ("retire", "provision"): "redeploy_gate",
    }
    assert next_phases(M) == [MA, INC, RT]
    assert next_phases(RT) == [P]


@pytest.mark.parametrize(
    "ev,missing",
    [
        (ACCEPTED, []),
        (
            Evidence(),
            ["identity: not captured", "manifest match: not captured", "L1 health: not captured"],
        ),
        (
            Evidence(identity_captured=False, manifest_match=True, l1_pass=True),
            ["identity: not captured"],
        ),
        (
            Evidence(identity_captured=True, manifest_match=False, l1_pass=True),
            ["manifest match: failed"],
        ),
        (
            Evidence(identity_captured=True, manifest_match=True, l1_pass=False),
            ["L1 health: failed"],
        ),
        (
            Evidence(identity_captured=True, manifest_match=True, l1_pass=None),
            ["L1 health: not captured"],
        ),
        # burn-in: only counts when required; required and missing or failed blocks
        (
            Evidence(identity_captured=True, manifest_match=True, l1_pass=True, burn_in_pass=False),
            [],
        ),
        (
            Evidence(
                identity_captured=True, manifest_match=True, l1_pass=True, burn_in_required=True
            ),
            ["burn-in: not captured"],
        ),
        (
            Evidence(
                identity_captured=True,
                manifest_match=True,
                l1_pass=True,
                burn_in_required=True,
                burn_in_pass=False,
            ),
            ["burn-in: failed"],
        ),
        (
            Evidence(
                identity_captured=True,
                manifest_match=True,
                l1_pass=True,
                burn_in_required=True,
                burn_in_pass=True,
            ),
            [],
        ),
        # probe: likewise
        (
            Evidence(
                identity_captured=True, manifest_match=True, l1_pass=True, probe_healthy=False
            ),
            [],
        ),
        (
            Evidence(
                identity_captured=True, manifest_match=True, l1_pass=True, probe_required=True
            ),
            ["token probe: not captured"],
        ),
        (
            Evidence(
                identity_captured=True,
                manifest_match=True,
                l1_pass=True,
                probe_required=True,
                probe_healthy=False,
            ),
            ["token probe: failed"],
        ),
        (
            Evidence(
                identity_captured=True,
                manifest_match=True,
                l1_pass=True,
                probe_required=True,
                probe_healthy=True,
            ),
            [],
        ),
        # nothing captured, every optional step required: every line, in order (one step's
        # line never replaces an earlier one)
        (
            Evidence(burn_in_required=True, probe_required=True),
            [
                "identity: not captured",
                "manifest match: not captured",
                "L1 health: not captured",
                "burn-in: not captured",
                "token probe: not captured",
            ],
        ),
        (
            Evidence(
                identity_captured=True,
                manifest_match=False,
                l1_pass=True,
                burn_in_required=True,
                burn_in_pass=False,
            ),
            ["manifest match: failed", "burn-in: failed"],
        ),
    ],
)
def test_accept_gate(ev: Evidence, missing: list[str]) -> None:
    assert accept_gate(ev) == missing


@pytest.mark.parametrize(
    "gate,ev,missing",
    [
        (service_gate, Evidence(baseline_conformant=True, l1_pass=True), []),
        (
            service_gate,
            Evidence(baseline_conformant=False, l1_pass=True),
            ["baseline conformance: failed"],
        ),
        (
            service_gate,
            Evidence(baseline_conformant=True, l1_pass=None),
            ["L1 health: not captured"],
        ),
        (
            service_gate,
            Evidence(baseline_conformant=True, l1_pass=True, probe_required=True),
            ["token probe: not captured"],
        ),
        (
            service_gate,
            Evidence(
                baseline_conformant=True, l1_pass=True, probe_required=True, probe_healthy=True
            ),
            [],
        ),
        (return_gate, Evidence(l1_pass=True), []),
        (return_gate, Evidence(l1_pass=False), ["L1 health: failed"]),
        (
            return_gate,
            Evidence(l1_pass=True, probe_required=True, probe_healthy=False),
            ["token probe: failed"],
        ),
        (return_gate, Evidence(l1_pass=True, probe_required=True, probe_healthy=True), []),
        (resolve_gate, Evidence(incident_resolved=True, l1_pass=True), []),
        (
            resolve_gate,
            Evidence(incident_resolved=None, l1_pass=True),
            ["incident resolution: not captured"],
        ),
        (resolve_gate, Evidence(incident_resolved=True, l1_pass=False), ["L1 health: failed"]),
        (
            resolve_gate,
            Evidence(incident_resolved=True, l1_pass=True, probe_required=True),
            ["token probe: not captured"],
        ),
        (close_gate, Evidence(incident_resolved=True), []),
        (close_gate, Evidence(incident_resolved=False), ["incident resolution: failed"]),
        (close_gate, Evidence(), ["incident resolution: not captured"]),
        (redeploy_gate, Evidence(sanitised=True), []),
        (redeploy_gate, Evidence(sanitised=False), ["sanitisation attestation: failed"]),
        (redeploy_gate, Evidence(), ["sanitisation attestation: not captured"]),
        (open_gate, Evidence(), []),
        # several lines at once: the probe's line is added to the others, never instead
        (
            service_gate,
            Evidence(probe_required=True),
            [
                "baseline conformance: not captured",
                "L1 health: not captured",
                "token probe: not captured",
            ],
        ),
        (
            return_gate,
            Evidence(l1_pass=False, probe_required=True),
            ["L1 health: failed", "token probe: not captured"],
        ),
        (
            resolve_gate,
            Evidence(l1_pass=None, probe_required=True, probe_healthy=False),
            ["incident resolution: not captured", "L1 health: not captured", "token probe: failed"],
        ),
    ],
)
def test_other_gates(gate, ev: Evidence, missing: list[str]) -> None:  # type: ignore[no-untyped-def]
    assert gate(ev) == missing


@pytest.mark.parametrize(
    "cur,to,ev,force,reason,decision",
    [
        (R, P, ACCEPTED, False, "", Decision(Verdict.MOVE)),
        (R, P, ACCEPTED, True, "", Decision(Verdict.MOVE)),  # nothing to force
        (
            R,
            P,
            Evidence(),
            False,
            "x",
            Decision(
                Verdict.BLOCKED,
                (
                    "identity: not captured",
                    "manifest match: not captured",
                    "L1 health: not captured",
                ),
            ),
        ),
        (
            R,
            P,
            Evidence(),
            True,
            "",
            Decision(
                Verdict.NO_REASON,
                (
                    "identity: not captured",
                    "manifest match: not captured",
                    "L1 health: not captured",
                ),
            ),
        ),
        (
            R,
            P,
            Evidence(),
            True,
            "   ",
            Decision(
                Verdict.NO_REASON,
                (
                    "identity: not captured",
                    "manifest match: not captured",
                    "L1 health: not captured",
                ),
            ),
        ),
        (
            R,
            P,
            Evidence(),
            True,
            "vendor swap",
            Decision(
                Verdict.FORCED,
                (
                    "identity: not captured",
                    "manifest match: not captured",
                    "L1 health: not captured",
                ),
            ),
        ),
        (R, M, ACCEPTED, True, "skip", Decision(Verdict.ILLEGAL)),  # force never adds an edge
        (M, M, ACCEPTED, False, "", Decision(Verdict.ILLEGAL)),
        (M, MA, Evidence(), False, "", Decision(Verdict.MOVE)),  # out of service: open
        (MA, M, Evidence(l1_pass=True), False, "", Decision(Verdict.MOVE)),
        (
            MA,
            M,
            Evidence(l1_pass=False),
            False,
            "",
            Decision(Verdict.BLOCKED, ("L1 health: failed",)),
        ),
        (RT, P, Evidence(sanitised=True), False, "", Decision(Verdict.MOVE)),
        (RT, M, Evidence(sanitised=True), True, "x", Decision(Verdict.ILLEGAL)),
    ],
)
def test_decide(
    cur: Phase, to: Phase, ev: Evidence, force: bool, reason: str, decision: Decision
) -> None:
    assert decide(cur, to, ev, force, reason) == decision


NOTHING = ("identity: not captured", "manifest match: not captured", "L1 health: not captured")


def test_decide_defaults_neither_force_nor_give_a_reason() -> None:
    """A caller that says nothing about forcing is not forcing, and one that forces without
    saying why has given no reason."""
    assert decide(R, P, Evidence()) == Decision(Verdict.BLOCKED, NOTHING)
    assert decide(R, P, Evidence(), force=True) == Decision(Verdict.NO_REASON, NOTHING)
    assert decide(R, P, Evidence(), reason="vendor swap") == Decision(Verdict.BLOCKED, NOTHING)


@pytest.mark.parametrize(
    "verdict,moves",
    [
        (Verdict.MOVE, True),
        (Verdict.FORCED, True),
        (Verdict.BLOCKED, False),
        (Verdict.ILLEGAL, False),
        (Verdict.NO_REASON, False),
    ],
)
def test_only_move_and_forced_move(verdict: Verdict, moves: bool) -> None:
    assert Decision(verdict).moves is moves
