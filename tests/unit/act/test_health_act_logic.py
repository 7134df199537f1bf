"""`health --act` logic: the act-on level, host verdicts, node names, the breaker and the
hysteresis over health findings, on the probes' shared plan/guard/actor path.

The backend here is the real command backend (`sh -c` appending to a file), so the whole
path (plan → guard → backend → audit → state) runs; the real Slurm path is in
tests/integration/act."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from diag.errors import InventoryError
from diag.exitcodes import Exit, acted_exit_code
from diag.health_act import ActArgs, HostVerdict, act_on, judge, node_map, reaches
from diag.transport.base import Target
from probes import audit, state
from schemas.envelope import Action, Envelope, Finding, HostRef, Status, Summary, Truncation
from schemas.health_act import ActConfig
from schemas.probe import CordonEvent, NodeState, StateFile

A = Action


@pytest.mark.parametrize(
    ("action", "level", "acts"),
    [
        (A.NONE, A.MONITOR, False),
        (A.MONITOR, A.MONITOR, True),
        (A.MONITOR, A.RESET, False),
        (A.RESET, A.RESET, True),
        (A.REBOOT, A.RESET, True),
        (A.ISOLATE, A.RESET, True),
        (A.RESET, A.REBOOT, False),
        (A.REBOOT, A.REBOOT, True),
        (A.REBOOT, A.ISOLATE, False),
        (A.ISOLATE, A.ISOLATE, True),
    ],
)
def test_act_on_level_boundaries(action: Action, level: Action, acts: bool) -> None:
    assert reaches(action, level) is acts
    env = _env(Status.FAIL, [_finding(Status.FAIL, action)])
    want = True if acts else None  # a fail below the level holds a drain, never releases one
    assert judge(env, level, "h", "n").failing is want


def _finding(status: Status, action: Action, cid: str = "gpu.memory") -> Finding:
    return Finding(check_id=cid, status=status, action=action, message=f"{cid} is {status.value}")


def _env(status: Status, findings: list[Finding], dropped: int = 0, fails: int = 0) -> Envelope:
    return Envelope(
        kind="health.l1", tool_version="t", host=HostRef(name="h"), ok=status is Status.PASS,
        status=status, findings=findings, collected_at="2026-01-01T00:00:00Z", duration_ms=1,
        summary=Summary(fail=fails), truncated=Truncation(findings_dropped=dropped),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("env", "want"),
    [
        (_env(Status.PASS, []), HostVerdict("h", "n", False, note="host pass")),
        (_env(Status.WARN, [_finding(Status.WARN, A.RESET)]),
         HostVerdict("h", "n", False, note="host warn")),
        (_env(Status.NOT_APPLICABLE, []), HostVerdict("h", "n", False, note="host not_applicable")),
        (_env(Status.UNKNOWN, []), HostVerdict("h", "n", None, note="host unknown")),
        (_env(Status.UNREACHABLE, []), HostVerdict("h", "n", None, note="host unreachable")),
        (_env(Status.ERROR, []), HostVerdict("h", "n", None, note="host error")),
        (_env(Status.FAIL, [_finding(Status.FAIL, A.MONITOR)]),
         HostVerdict("h", "n", None, note="host failing below reset")),
        (_env(Status.PASS, [], dropped=1, fails=1),
         HostVerdict("h", "n", None, note="a failing finding was cut by --max-bytes")),
        (_env(Status.FAIL, [_finding(Status.FAIL, A.ISOLATE)]),
         HostVerdict("h", "n", True, (_finding(Status.FAIL, A.ISOLATE),))),
    ],
)  # fmt: skip
def test_host_verdicts(env: Envelope, want: HostVerdict) -> None:
    assert judge(env, A.RESET, "h", "n") == want


def test_why_names_each_finding() -> None:
    both = [_finding(Status.FAIL, A.RESET), _finding(Status.FAIL, A.REBOOT, "gpu.xid")]
    v = judge(_env(Status.FAIL, both), A.RESET, "h", "n")
    assert v.why == "gpu.memory reset: gpu.memory is fail; gpu.xid reboot: gpu.xid is fail"


@pytest.mark.parametrize(
    ("hvars", "node"),
    [
        ({}, "gpu1"),
        ({"node": "n7"}, "n7"),
        ({"slurm_node": "s7"}, "s7"),
        ({"node": "n7", "slurm_node": "s7"}, "n7"),
    ],
)
def test_node_names(hvars: dict[str, str], node: str) -> None:
    assert node_map([Target("gpu1", vars=hvars)]) == {"gpu1": node}


HOSTLIST = "looks like a Slurm hostlist ('[', ']' or ','): one target, one node"


@pytest.mark.parametrize(
    ("hvars", "message"),
    [
        ({"node": "rtn[2-4]"}, f"scheduler node 'rtn[2-4]' is not one node name: {HOSTLIST}"),
        ({"slurm_node": "a,b"}, f"scheduler node 'a,b' is not one node name: {HOSTLIST}"),
        ({"node": "-x"}, "scheduler node '-x' is not one node name: starts with '-'"),
    ],
)
def test_bad_node_names_are_refused(hvars: dict[str, str], message: str) -> None:
    with pytest.raises(InventoryError) as exc:
        node_map([Target("gpu1", vars=hvars)])
    assert str(exc.value) == f"host 'gpu1': {message}; set its `node:` var"


def test_two_hosts_on_one_node_are_refused() -> None:
    with pytest.raises(InventoryError) as exc:
        node_map([Target("a", vars={"node": "n1"}), Target("b", vars={"node": "n1"})])
    assert str(exc.value) == "hosts 'a' and 'b' both map to node 'n1'"


def test_local_node_name_wins_for_local_runs() -> None:
    assert node_map([Target("long.example.org")], "n1") == {"long.example.org": "n1"}


@pytest.mark.parametrize(
    ("table", "breaker", "failed", "want"),
    [
        (Exit.OK, False, False, Exit.OK),
        (Exit.FINDINGS, False, False, Exit.FINDINGS),
        (Exit.FINDINGS, True, False, Exit.BREAKER),
        (Exit.FINDINGS, False, True, Exit.INTERNAL),
        (Exit.FINDINGS, True, True, Exit.BREAKER),
        (Exit.UNREACHABLE, True, False, Exit.BREAKER),
        (Exit.INTERRUPTED, True, True, Exit.INTERRUPTED),
    ],
)
def test_acted_exit_codes(table: Exit, breaker: bool, failed: bool, want: Exit) -> None:
    assert acted_exit_code(table, breaker, failed) is want


# ---- the shared path, end to end with the real command backend ------------------------------


def _args(tmp: Path, act: bool = True, **cfg: object) -> ActArgs:
    log = tmp / "hook.log"
    hook = ["sh", "-c", f'echo "$0 {{node}} {{reason}}" >> {log}']
    config = ActConfig.model_validate(
        {"backend": "command", "command_cordon": [*hook[:2], hook[2].replace("$0", "cordon")],
         "command_uncordon": [*hook[:2], hook[2].replace("$0", "uncordon")], **cfg}
    )  # fmt: skip
    return ActArgs(config, tmp / "state.json", tmp / "audit.jsonl", act=act)


def _fail(node: str) -> HostVerdict:
    return HostVerdict(node, node, True, (_finding(Status.FAIL, A.RESET),))


def _pass(node: str) -> HostVerdict:
    return HostVerdict(node, node, False, note="host pass")


def _hook_log(tmp: Path) -> list[str]:
    log = tmp / "hook.log"
    return log.read_text().splitlines() if log.exists() else []


@pytest.mark.parametrize(
    ("held", "wanted", "limit", "tripped"),
    [(0, 1, 1, False), (0, 2, 1, True), (0, 2, 2, False), (0, 3, 2, True), (1, 1, 2, False),
     (1, 2, 2, True), (2, 1, 2, True), (1, 1, 1, True)],
)  # fmt: skip
def test_breaker_with_health_findings(
    tmp_path: Path, held: int, wanted: int, limit: int, tripped: bool
) -> None:
    """`held` nodes diagctl still holds (from an earlier run) count against the limit."""
    st = StateFile(nodes={f"old{i}": NodeState(cordoned_by_us=True) for i in range(held)})
    state.save(tmp_path / "state.json", st)
    args = _args(tmp_path, max_cordon_count=limit, max_cordon_fraction=1.0)
    fails = [_fail(f"n{i}") for i in range(wanted)]
    out = act_on([*fails, *(_pass(f"ok{i}") for i in range(4))], args)
    assert out.breaker_tripped is tripped
    cordoned = [line.split()[1] for line in _hook_log(tmp_path)]
    assert cordoned == ([] if tripped else [f"n{i}" for i in range(wanted)])
    recs = audit.read(tmp_path / "audit.jsonl")
    if tripped:
        assert recs[0].action.value == "breaker" and recs[0].evidence == {
            "group_size": held + wanted + 4, "limit": limit, "cordoned_in_window_or_held": held,
            "wanted_this_round": wanted, "nodes": [f"n{i}" for i in range(wanted)],
        }  # fmt: skip
        assert {(r.node, r.result.value) for r in recs[1:]} == {
            (f"n{i}", "blocked") for i in range(wanted)
        }


def test_drain_then_release_after_two_passing_runs(tmp_path: Path) -> None:
    args = _args(tmp_path)
    act_on([_fail("n1"), _pass("n2")], args)
    assert _hook_log(tmp_path) == [
        "cordon n1 diagctl: health fail x1: gpu.memory reset: gpu.memory is fail"
    ]
    act_on([_pass("n1"), _pass("n2")], args)  # one pass < pass_threshold 2
    assert len(_hook_log(tmp_path)) == 1
    act_on([HostVerdict("n1", "n1", None, note="host unknown")], args)  # resets the pass streak
    act_on([_pass("n1")], args)
    assert len(_hook_log(tmp_path)) == 1
    act_on([_pass("n1")], args)
    assert _hook_log(tmp_path)[1] == "uncordon n1 "
    st = state.load(tmp_path / "state.json")
    assert st.nodes["n1"] == NodeState(
        consecutive_pass=2, last_probe_at=st.nodes["n1"].last_probe_at
    )
    assert [r.node for r in st.cordons["health"]] == ["n1"]  # still inside the breaker window
    recs = [json.loads(r.model_dump_json()) for r in audit.read(tmp_path / "audit.jsonl")]
    first = {k: v for k, v in recs[0].items() if k not in ("at", "who")}
    assert first == {
        "action": "cordon", "node": "n1", "group": "health", "backend": "command",
        "why": "gpu.memory reset: gpu.memory is fail",
        "evidence": {
            "verdict": "health fail", "consecutive_fail": 1, "consecutive_pass": 0,
            "health": {"host": "n1", "note": "", "findings": [
                {"check_id": "gpu.memory", "status": "fail", "severity": "info", "entity": "",
                 "action": "reset", "message": "gpu.memory is fail", "observed": None}]},
        },
        "dry_run": False, "result": "done", "message": "sh exited 0",
    }  # fmt: skip
    assert [(r["action"], r["result"]) for r in recs] == [("cordon", "done"), ("uncordon", "done")]


def test_dry_run_plans_and_audits_but_runs_nothing(tmp_path: Path) -> None:
    out = act_on([_fail("n1")], _args(tmp_path, act=False))
    assert _hook_log(tmp_path) == [] and not out.breaker_tripped
    (rec,) = audit.read(tmp_path / "audit.jsonl")
    assert (rec.result.value, rec.dry_run, rec.message) == (
        "planned",
        True,
        "dry run: pass --act to change anything",
    )
    assert state.load(tmp_path / "state.json").nodes["n1"].cordoned_by_us is False


def test_a_window_event_counts_like_a_held_node(tmp_path: Path) -> None:
    """A node cordoned within window_s, since released, still counts (one node, once)."""
    ev = CordonEvent(at=9e12, node="old")  # clamped to now: counts for a full window
    state.save(tmp_path / "state.json", StateFile(cordons={"health": [ev]}))
    out = act_on([_fail("n1")], _args(tmp_path, max_cordon_count=1, max_cordon_fraction=1.0))
    assert out.breaker_tripped and _hook_log(tmp_path) == []
    assert out.warnings[0].startswith("state: cordon of old in group 'health' is dated")
