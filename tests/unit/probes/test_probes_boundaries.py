"""Boundary tables for the probe safety code: verdicts, hysteresis, node verdicts, the guard,
and the state file's error messages. Whole values are pinned (a mutant that changes a reason,
a field or a comparison by one fails here); scripts/mutation.sh checks they stay that way."""

from __future__ import annotations

from pathlib import Path

import pytest

from probes.client import TEXT_KEEP, Outcome
from probes.plan import decide, guard, node_verdicts
from probes.state import StateError, advance, load, save
from probes.verdict import busy_override, judge
from schemas.probe import (
    ActionKind,
    CordonEvent,
    GroupConfig,
    NodeState,
    ProbeTarget,
    StateFile,
    TargetsFile,
    Timings,
    Verdict,
)

H, S, Z, D = Verdict.HEALTHY, Verdict.SLOW, Verdict.ZOMBIE, Verdict.DOWN
T = ProbeTarget(name="a", url="http://h:1", model="m", node="n1", min_tokens=3)
CFG = GroupConfig(ttft_budget_ms=100, itl_budget_ms=50, deadline_s=2)


def out(**kw: object) -> Outcome:
    timings = {"http_status": 200, "tokens": 8, "finish_reason": "length", "ttft_ms": 5.0,
               "itl_ms_max": 2.0, "text": "abcdefgh"}  # fmt: skip
    o = Outcome(Timings(), connected=True)
    for k, v in kw.items():
        if k in timings or hasattr(o.timings, k):
            timings[k] = v
        else:
            setattr(o, k, v)
    o.timings = Timings.model_validate(timings)
    return o


@pytest.mark.parametrize(
    ("kw", "verdict", "reason"),
    [
        ({}, H, "8 tokens, TTFT 5.0 ms"),
        ({"connected": False}, D, "no connection"),
        ({"connected": False, "error": "connect: refused"}, D, "connect: refused"),
        ({"http_status": 500}, D, "HTTP 500"),
        ({"http_status": 499}, Z, "HTTP 499: no generation"),
        ({"http_status": 201}, Z, "HTTP 201: no generation"),
        ({"http_status": 0}, H, "8 tokens, TTFT 5.0 ms"),  # no status line seen: judged on tokens
        ({"tokens": 2}, Z, "2 token(s) < 3: stream ended"),
        ({"tokens": 2, "error": "read: reset"}, Z, "2 token(s) < 3: read: reset"),
        ({"tokens": 2, "deadline_hit": True}, Z, "2 token(s) < 3: deadline passed"),
        ({"tokens": 3}, H, "3 tokens, TTFT 5.0 ms"),  # exactly min_tokens is enough
        ({"stream_error": "not JSON"}, Z, "broken stream after 8 token(s): not JSON"),
        ({"deadline_hit": True}, S, "8 token(s) but not finished within 2 s"),
        ({"finish_reason": ""}, Z, "finish_reason '' (stream cut?)"),
        ({"finish_reason": "stop"}, H, "8 tokens, TTFT 5.0 ms"),
        ({"finish_reason": "eos"}, H, "8 tokens, TTFT 5.0 ms"),
        ({"finish_reason": "max_tokens"}, H, "8 tokens, TTFT 5.0 ms"),
        ({"finish_reason": "abort"}, Z, "finish_reason 'abort' (stream cut?)"),
        ({"ttft_ms": 100.0}, H, "8 tokens, TTFT 100.0 ms"),  # at the budget is within it
        ({"ttft_ms": 100.4}, S, "TTFT 100 ms > 100 ms"),
        ({"ttft_ms": None}, H, "8 tokens, TTFT None ms"),
        ({"itl_ms_max": 50.0}, H, "8 tokens, TTFT 5.0 ms"),
        ({"itl_ms_max": 50.6}, S, "inter-token gap 51 ms > 50 ms"),
        ({"itl_ms_max": None}, H, "8 tokens, TTFT 5.0 ms"),
        ({"ttft_ms": 101.0, "itl_ms_max": 51.0}, S, "TTFT 101 ms > 100 ms"),
    ],
)
def test_judge_table(kw: dict[str, object], verdict: Verdict, reason: str) -> None:
    assert judge(out(**kw), T, CFG) == (verdict, reason)


@pytest.mark.parametrize(
    ("golden", "text", "verdict", "reason"),
    [
        ("abcdefgh", "abcdefgh", H, "8 tokens, TTFT 5.0 ms"),
        ("abcdefgX", "abcdefgh", Z, "text differs from golden: 'abcdefgh'"),
        ("x" * 300, "x" * TEXT_KEEP, H, "8 tokens, TTFT 5.0 ms"),  # compared as far as kept
        ("y" * 50, "x" * 50, Z, "text differs from golden: " + repr("x" * 40)),
    ],
)
def test_judge_golden_text(golden: str, text: str, verdict: Verdict, reason: str) -> None:
    t = T.model_copy(update={"golden_text": golden})
    assert judge(out(text=text), t, CFG) == (verdict, reason)


@pytest.mark.parametrize(
    ("before", "after", "verdict", "want"),
    [
        (10.0, 11.0, Z, (S, "engine busy: generated 1 tokens for others; r", True)),
        (10.0, 10.0, Z, (Z, "r", False)),  # no progress: a real zombie
        (10.0, 9.0, Z, (Z, "r", False)),  # counter reset (restart): not busy
        (None, 11.0, Z, (Z, "r", False)),
        (10.0, None, Z, (Z, "r", False)),
        (10.0, 11.0, D, (D, "r", False)),  # only zombie can be busy
        (10.0, 11.0, H, (H, "r", False)),
    ],
)
def test_busy_override_table(
    before: float | None, after: float | None, verdict: Verdict, want: tuple[Verdict, str, bool]
) -> None:
    o = out(gen_tokens_before=before, gen_tokens_after=after)
    assert busy_override(o, verdict, "r") == want


@pytest.mark.parametrize(
    ("prev", "verdict", "fail", "ok"),
    [
        ((0, 0), Z, 1, 0),
        ((2, 5), Z, 3, 0),
        ((2, 5), D, 3, 0),
        ((2, 5), H, 0, 6),
        ((2, 5), S, 2, 0),  # slow: not broken, not healthy
        ((0, 0), H, 0, 1),
    ],
)
def test_advance_table(prev: tuple[int, int], verdict: Verdict, fail: int, ok: int) -> None:
    st = NodeState(consecutive_fail=prev[0], consecutive_pass=prev[1], cordoned_by_us=True)
    assert advance(st, verdict, 42.0) == NodeState(
        consecutive_fail=fail,
        consecutive_pass=ok,
        last_verdict=verdict,
        cordoned_by_us=True,
        last_probe_at=42.0,
    )
    assert st.consecutive_fail == prev[0]  # the previous state is not changed in place


@pytest.mark.parametrize(
    ("pairs", "want"),
    [
        ([], {}),
        ([("n1", H)], {"n1": H}),
        ([("n1", H), ("n1", Z)], {"n1": Z}),
        ([("n1", Z), ("n1", H)], {"n1": Z}),
        ([("n1", S), ("n1", D), ("n1", Z)], {"n1": D}),
        ([("n1", H), ("n1", S)], {"n1": S}),
        ([("n1", H), ("n2", Z), ("n1", H)], {"n1": H, "n2": Z}),
    ],
)
def test_node_verdict_is_the_worst_endpoint(
    pairs: list[tuple[str, Verdict]], want: dict[str, Verdict]
) -> None:
    assert node_verdicts(pairs) == want


def _targets(nodes: dict[str, str], unit: dict[str, str] | None = None) -> TargetsFile:
    units = unit or {}
    groups = {g: {"fail_threshold": 2, "pass_threshold": 2, "max_cordon_count": 1,
                  "max_cordon_fraction": 1, "restart_units": ["llm.service"]}
              for g in set(nodes.values())}  # fmt: skip
    return TargetsFile.model_validate(
        {
            "targets": [
                {"name": n, "url": "http://h:1", "model": "m", "node": n, "group": g,
                 "restart_unit": units.get(n, "")}
                for n, g in nodes.items()
            ],
            "groups": groups,
        }
    )  # fmt: skip


def test_decide_keeps_restart_unit_and_time() -> None:
    tf = _targets({"n1": "g", "n2": "g"}, {"n1": "llm.service"})
    state = StateFile(nodes={"n1": NodeState(consecutive_fail=1)})
    plans = decide(tf, state, {"n1": Z, "n2": H}, 7.0)
    assert [(p.node, p.action, p.restart_unit, p.state.last_probe_at) for p in plans] == [
        ("n1", ActionKind.CORDON, "llm.service", 7.0),
        ("n2", ActionKind.NONE, "", 7.0),
    ]


def test_guard_counts_only_this_groups_nodes_held_by_us() -> None:
    """limit 1 per group. n9 of another group, and n2 (cordoned, but not by us), do not use it."""
    tf = _targets({"n1": "g", "n2": "g", "n3": "g", "n9": "other"})
    state = StateFile(
        nodes={
            "n1": NodeState(consecutive_fail=1),
            "n2": NodeState(cordoned_by_us=False, consecutive_pass=0),
            "n9": NodeState(cordoned_by_us=True, consecutive_pass=0),
        }
    )
    plans = decide(tf, state, {"n1": Z, "n2": H, "n3": H}, 10.0)
    (g,) = guard(tf, state, plans, 10.0)
    assert (g.group, g.size, g.limit, g.used, g.wanted, g.tripped, g.nodes) == (
        "g", 3, 1, 0, 1, False, ["n1"],
    )  # fmt: skip
    held = state.model_copy(deep=True)
    held.nodes["n3"] = NodeState(cordoned_by_us=True)
    plans = decide(tf, held, {"n1": Z, "n2": H}, 10.0)
    (g,) = guard(tf, held, plans, 10.0)
    assert (g.used, g.wanted, g.tripped) == (1, 1, True)
    assert [p.blocked for p in plans] == [True, False]


def test_guard_window_boundary() -> None:
    """A cordon exactly window_s ago has left the window; one a moment later has not."""
    tf = _targets({"n1": "g", "n2": "g"})
    for at, used in ((10.0 - 3600, 0), (10.0 - 3599.5, 1)):
        state = StateFile(
            nodes={"n1": NodeState(consecutive_fail=1)},
            cordons={"g": [CordonEvent(at=at, node="n2")]},
        )
        plans = decide(tf, state, {"n1": Z}, 10.0)
        (g,) = guard(tf, state, plans, 10.0)
        assert (g.used, g.tripped) == (used, bool(used)), at


def test_save_writes_indented_json_with_a_newline(tmp_path: Path) -> None:
    p = tmp_path / "s.json"
    save(p, StateFile(nodes={"n": NodeState()}))
    text = p.read_text()
    assert text.startswith('{\n "version": 1,\n "nodes": {\n  "n": {\n') and text.endswith("}\n")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "unreadable state file: not valid JSON (EOF while parsing a value at line 1 "
              "column 0)"),
        (b"{", "unreadable state file: not valid JSON (EOF while parsing an object at line 1 "
               "column 1)"),
        (b"[]", "unreadable state file: field (top level): Input should be an object"),
        (b'{"version": "x", "nodes": 1}', "unreadable state file: field version: Input should "
                                          "be a valid integer, unable to parse string as an "
                                          "integer (+1 more)"),
        (b'{"nodes": {"n": {"consecutive_fail": -1}}}', "unreadable state file: field "
         "nodes.n.consecutive_fail: Input should be greater than or equal to 0"),
        (b"\xff\xfe", "unreadable state file: not valid JSON (expected value at line 1 "
                      "column 1)"),
    ],
)  # fmt: skip
def test_state_load_errors_name_the_file_and_field(
    tmp_path: Path, content: bytes, message: str
) -> None:
    p = tmp_path / "s.json"
    p.write_bytes(content)
    with pytest.raises(StateError) as exc:
        load(p)
    assert str(exc.value) == f"{p}: {message}; move it aside"


def test_state_load_of_a_directory_names_the_os_error(tmp_path: Path) -> None:
    with pytest.raises(StateError) as exc:
        load(tmp_path)
    assert str(exc.value) == (
        f"{tmp_path}: unreadable state file ([Errno 21] Is a directory: '{tmp_path}'); "
        "move it aside"
    )


def test_state_load_cuts_a_long_os_error_to_200_characters(tmp_path: Path) -> None:
    d = tmp_path / ("d" * 250)
    d.mkdir()
    with pytest.raises(StateError) as exc:
        load(d)
    first = f"[Errno 21] Is a directory: '{d}'"[:200]
    assert str(exc.value) == f"{d}: unreadable state file ({first}); move it aside"


def test_state_load_names_an_error_without_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(_self: Path) -> bytes:
        raise OSError()

    p = tmp_path / "s.json"
    p.write_text("{}")
    monkeypatch.setattr(Path, "read_bytes", fail)
    with pytest.raises(StateError) as exc:
        load(p)
    assert str(exc.value) == f"{p}: unreadable state file (OSError); move it aside"
