"""probes.plan pinned whole: every field of the plans `decide` returns (verdict, label,
restart unit, the advanced state), a plan's label in words, and what `Roster.of` keeps of a
targets file. These kill the mutants the breaker tests could not see (they read only actions
and guard counts): docs/development.md, "Mutation testing"."""

from __future__ import annotations

import pytest

from probes.plan import NodePlan, Roster, decide
from schemas.probe import ActionKind, NodeState, StateFile, TargetsFile, Verdict

TF = TargetsFile.model_validate(
    {
        "targets": [
            {"name": "a", "url": "http://h0:1", "model": "m", "node": "n0", "group": "g",
             "restart_unit": "llama.service"},
            {"name": "b", "url": "http://h1:1", "model": "m", "node": "n1", "group": "g"},
            {"name": "c", "url": "http://h2:1", "model": "m", "node": "n2", "group": "k"},
        ],
        "groups": {"g": {"fail_threshold": 2, "pass_threshold": 2,
                         "restart_units": ["llama.service"]}, "k": {}},
    }
)  # fmt: skip


def test_decide_returns_whole_plans() -> None:
    st = StateFile(nodes={"n0": NodeState(consecutive_fail=1),
                          "n1": NodeState(consecutive_pass=1, cordoned_by_us=True)})  # fmt: skip
    verdicts = {"n1": Verdict.HEALTHY, "n0": Verdict.ZOMBIE, "n2": Verdict.SLOW}
    plans = decide(TF, st, verdicts, 50.0)
    assert plans == [
        NodePlan("n0", "g", Verdict.ZOMBIE, NodeState(consecutive_fail=2, last_probe_at=50.0,
                 last_verdict=Verdict.ZOMBIE), ActionKind.CORDON, "llama.service", label="zombie"),
        NodePlan("n1", "g", Verdict.HEALTHY, NodeState(consecutive_pass=2, cordoned_by_us=True,
                 last_verdict=Verdict.HEALTHY, last_probe_at=50.0), ActionKind.UNCORDON,
                 label="healthy"),
        NodePlan("n2", "k", Verdict.SLOW, NodeState(last_verdict=Verdict.SLOW, last_probe_at=50.0),
                 label="slow"),
    ]  # fmt: skip
    assert [p.failing for p in plans] == [True, False, False]


@pytest.mark.parametrize(
    ("verdict", "label", "fails", "want_label", "failing"),
    [
        (Verdict.ZOMBIE, "", False, "zombie", True),
        (Verdict.DOWN, "", False, "down", True),
        (Verdict.HEALTHY, "", True, "healthy", False),  # a verdict wins over `fails`
        (Verdict.SLOW, "health fail", False, "health fail", False),  # a given label is kept
        (None, "", False, "", False),
        (None, "", True, "", True),
        (None, "health fail", True, "health fail", True),
        (None, "health pass", False, "health pass", False),
    ],
)
def test_label_and_failing(
    verdict: Verdict | None, label: str, fails: bool, want_label: str, failing: bool
) -> None:
    p = NodePlan("n", "g", verdict, NodeState(), label=label, fails=fails)
    assert (p.label, p.failing) == (want_label, failing)


def test_roster_of_a_targets_file_keeps_everything() -> None:
    r = Roster.of(TF)
    assert r == Roster(
        frozenset({("n0", "g"), ("n1", "g"), ("n2", "k")}), TF.groups, tuple(TF.targets)
    )
    assert Roster.of(r) is r
    assert Roster(frozenset()).targets == ()
