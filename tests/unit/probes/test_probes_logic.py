"""Pure parts: verdicts, hysteresis, the blast-radius guard, targets validation, exit codes."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from diag.exitcodes import Exit, probe_exit_code
from probes.backends.command import expand
from probes.backends.slurm import is_drained, parse_show_node
from probes.client import Outcome, request_body
from probes.plan import cordon_limit, decide, guard, node_verdicts
from probes.state import advance
from probes.verdict import judge
from schemas.probe import (
    ActionKind,
    GroupConfig,
    NodeState,
    ProbeTarget,
    StateFile,
    TargetsFile,
    Timings,
    Verdict,
)

T = ProbeTarget(name="a", url="http://h:1", model="m", node="n1")
CFG = GroupConfig(ttft_budget_ms=100, itl_budget_ms=50, deadline_s=2)


def out(**kw: object) -> Outcome:
    o = Outcome(Timings(http_status=200, tokens=8, finish_reason="length", ttft_ms=5,
                        itl_ms_max=2, text="abcdefgh"), connected=True)  # fmt: skip
    for k, v in kw.items():
        if hasattr(o, k):
            setattr(o, k, v)
        else:
            setattr(o.timings, k, v)
    return o


@pytest.mark.parametrize(
    ("kw", "verdict", "why"),
    [
        ({}, Verdict.HEALTHY, "8 tokens"),
        ({"connected": False, "error": "connect: refused"}, Verdict.DOWN, "refused"),
        ({"http_status": 503}, Verdict.DOWN, "HTTP 503"),
        ({"http_status": 404}, Verdict.ZOMBIE, "HTTP 404"),
        ({"tokens": 0, "deadline_hit": True}, Verdict.ZOMBIE, "deadline"),
        ({"stream_error": "event is not JSON"}, Verdict.ZOMBIE, "broken stream"),
        ({"deadline_hit": True}, Verdict.SLOW, "not finished"),
        ({"finish_reason": ""}, Verdict.ZOMBIE, "finish_reason"),
        ({"ttft_ms": 150.0}, Verdict.SLOW, "TTFT"),
        ({"itl_ms_max": 51.0}, Verdict.SLOW, "inter-token"),
    ],
)
def test_judge(kw: dict[str, object], verdict: Verdict, why: str) -> None:
    v, reason = judge(out(**kw), T, CFG)
    assert v is verdict and why in reason


def test_golden_text() -> None:
    golden = T.model_copy(update={"golden_text": "abcdefgh"})
    assert judge(out(), golden, CFG)[0] is Verdict.HEALTHY
    assert judge(out(text="abcdefgX"), golden, CFG)[0] is Verdict.ZOMBIE


def test_request_body_options() -> None:
    t = T.model_copy(update={"ignore_eos": True, "priority": -5, "extra_body": {"top_k": 1}})
    body = request_body(t)
    assert body["temperature"] == 0 and body["stream"] is True and body["seed"] == 0
    assert body["ignore_eos"] is True and body["priority"] == -5 and body["top_k"] == 1
    assert "ignore_eos" not in request_body(T) and "priority" not in request_body(T)


def test_hysteresis() -> None:
    st = NodeState()
    for _ in range(3):
        st = advance(st, Verdict.ZOMBIE, 1.0)
    assert st.consecutive_fail == 3 and st.consecutive_pass == 0
    st = advance(st, Verdict.SLOW, 2.0)
    assert st.consecutive_fail == 3 and st.consecutive_pass == 0
    st = advance(st, Verdict.HEALTHY, 3.0)
    assert st.consecutive_fail == 0 and st.consecutive_pass == 1


def tf(n: int, **group: object) -> TargetsFile:
    return TargetsFile.model_validate(
        {
            "targets": [
                {
                    "name": f"t{i}",
                    "url": f"http://h{i}:1",
                    "model": "m",
                    "node": f"n{i}",
                    "group": "g",
                }
                for i in range(n)
            ],
            "groups": {"g": {"fail_threshold": 2, "pass_threshold": 2, **group}},
        }
    )


def test_decide_cordon_after_k_and_uncordon_after_m_only_ours() -> None:
    f = tf(2)
    st = StateFile(nodes={"n0": NodeState(consecutive_fail=1), "n1": NodeState(consecutive_pass=5)})
    plans = {p.node: p for p in decide(f, st, {"n0": Verdict.ZOMBIE, "n1": Verdict.HEALTHY}, 9)}
    assert plans["n0"].action is ActionKind.CORDON
    assert plans["n1"].action is ActionKind.NONE  # healthy but not cordoned by us
    st = StateFile(nodes={"n1": NodeState(consecutive_pass=1, cordoned_by_us=True)})
    plans = {p.node: p for p in decide(f, st, {"n1": Verdict.HEALTHY}, 9)}
    assert plans["n1"].action is ActionKind.UNCORDON


def test_node_verdict_is_the_worst_endpoint() -> None:
    v = node_verdicts([("n", Verdict.HEALTHY), ("n", Verdict.ZOMBIE), ("m", Verdict.SLOW)])
    assert v == {"n": Verdict.ZOMBIE, "m": Verdict.SLOW}


@pytest.mark.parametrize(
    ("frac", "count", "size", "limit"),
    [(0.1, 10, 100, 10), (0.1, 3, 100, 3), (0.1, 10, 5, 1), (0.5, 10, 5, 2), (0.1, 0, 50, 0)],
)
def test_cordon_limit(frac: float, count: int, size: int, limit: int) -> None:
    cfg = GroupConfig(max_cordon_fraction=frac, max_cordon_count=count)
    assert cordon_limit(cfg, size) == limit


def test_guard_trips_and_blocks_every_cordon_of_the_round() -> None:
    f = tf(10, max_cordon_fraction=0.2)  # limit 2
    st = StateFile(nodes={f"n{i}": NodeState(consecutive_fail=1) for i in range(3)})
    plans = decide(f, st, {f"n{i}": Verdict.DOWN for i in range(3)}, 100)
    (g,) = guard(f, st, plans, 100)
    assert g.tripped and g.limit == 2 and g.wanted == 3
    assert all(p.blocked for p in plans if p.action is ActionKind.CORDON)


def test_guard_counts_recent_and_held_cordons() -> None:
    f = tf(10, max_cordon_fraction=0.2, window_s=60)
    st = StateFile.model_validate(
        {
            "nodes": {"n0": {"consecutive_fail": 1}, "n9": {"cordoned_by_us": True}},
            "cordons": {"g": [{"at": 90, "node": "n8"}, {"at": 1, "node": "n7"}]},
        }
    )
    plans = decide(f, st, {"n0": Verdict.ZOMBIE}, 100)
    (g,) = guard(f, st, plans, 100)
    assert g.used == 2 and g.tripped  # n9 held + n8 in the window; n7 is outside it


def test_targets_validation() -> None:
    with pytest.raises(ValidationError, match="duplicate"):
        TargetsFile.model_validate({"targets": [T.model_dump(), T.model_dump()]})
    with pytest.raises(ValidationError, match="extra"):
        TargetsFile.model_validate({"targets": [{**T.model_dump(), "nodee": "x"}]})
    with pytest.raises(ValidationError, match="restart_units"):
        TargetsFile.model_validate({"targets": [{**T.model_dump(), "restart_unit": "sshd"}]})
    with pytest.raises(ValidationError, match="command_cordon"):
        GroupConfig(backend="command")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="http"):
        ProbeTarget(name="a", url="ftp://x", model="m", node="n")


def test_slurm_show_node_parser() -> None:
    line = (
        "NodeName=vm Arch=x86_64 CoresPerSocket=1 State=IDLE+DRAIN ThreadsPerCore=1 "
        "Partitions=debug Reason=diagctl: zombie x3: t0 [root@2026-11-22T18:52:53]\n"
    )
    info = parse_show_node(line)
    assert info["NodeName"] == "vm" and is_drained(info)
    assert info["Reason"].startswith("diagctl: zombie x3")
    assert parse_show_node("") == {}
    assert not is_drained(parse_show_node("NodeName=vm State=IDLE"))


def test_command_expand_keeps_one_argument_per_element() -> None:
    argv = expand(["hook", "--node={node}", "{reason}"], "n1; rm -rf /", "why")
    assert argv == ["hook", "--node=n1; rm -rf /", "why"]


def test_probe_exit_code() -> None:
    assert probe_exit_code([], breaker_tripped=True, action_failed=True) is Exit.BREAKER
    assert probe_exit_code([], breaker_tripped=False, action_failed=True) is Exit.INTERNAL
    assert probe_exit_code([], False, False) is Exit.OK
    assert probe_exit_code([], False, False, interrupted=True) is Exit.INTERRUPTED


def test_generated_tokens_counter_parser() -> None:
    from probes.busy import generated_tokens

    text = (
        "# HELP vllm:generation_tokens_total Number of generation tokens processed.\n"
        "# TYPE vllm:generation_tokens_total counter\n"
        'vllm:generation_tokens_total{model_name="m",engine="0"} 1234.0\n'
        'vllm:generation_tokens_total{model_name="m",engine="1"} 6.0\n'
        'vllm:prompt_tokens_total{model_name="m"} 99.0\n'
        "llamacpp:tokens_predicted_total 10\n"
        "garbage line {{{\n"
    )
    assert generated_tokens(text) == 1250.0
    assert generated_tokens("up 1\n") is None
    assert generated_tokens("") is None


def test_busy_override_only_when_counter_rose() -> None:
    from probes.verdict import busy_override

    o = out(tokens=0, deadline_hit=True)
    o.gen_tokens_before, o.gen_tokens_after = 10.0, 50.0
    v, why, busy = busy_override(o, Verdict.ZOMBIE, "0 tokens")
    assert v is Verdict.SLOW and busy and "busy" in why
    o.gen_tokens_after = 10.0
    assert busy_override(o, Verdict.ZOMBIE, "x") == (Verdict.ZOMBIE, "x", False)
    assert busy_override(o, Verdict.DOWN, "x")[0] is Verdict.DOWN


def test_credentials_in_url_never_reach_output(monkeypatch: pytest.MonkeyPatch) -> None:
    from probes.client import redact_url, request_bytes

    t = ProbeTarget(name="a", url="http://bob:s3cret@h:8000", model="m", node="n")
    raw = request_bytes(t).decode()
    assert "Host: h:8000\r\n" in raw and "Authorization: Basic Ym9iOnMzY3JldA==" in raw
    assert redact_url(t.url) == "http://***@h:8000" and redact_url("http://h:1") == "http://h:1"
    monkeypatch.setenv("DGP_TOKEN", "tok123")
    raw = request_bytes(t.model_copy(update={"api_key_env": "DGP_TOKEN"})).decode()
    assert "Authorization: Bearer tok123" in raw and "Basic" not in raw


def test_ssh_settings_and_target_for_restarts() -> None:
    from pathlib import Path

    from probes.restart import restart_argv, ssh_settings, ssh_target

    cfg = GroupConfig(ssh_user="ops", ssh_port=2222, ssh_identity="/k/id", ssh_jump="bastion",
                      ssh_known_hosts="/k/known", restart_units=["vllm.service"])  # fmt: skip
    kw = ssh_settings(cfg, 3.0)
    assert kw == {"user": "ops", "identity": "/k/id", "jump": "bastion", "accept_new": False,
                  "connect_timeout_s": 3.0, "known_hosts": Path("/k/known")}  # fmt: skip
    t = ssh_target("gpu-1", "", cfg)
    assert (t.address, t.port, t.user) == ("gpu-1", 2222, "ops")
    assert ssh_target("gpu-1", "10.0.0.9", cfg).address == "10.0.0.9"
    assert restart_argv("vllm.service", cfg) == ["systemctl", "restart", "vllm.service"]
    with pytest.raises(ValueError, match="allow-list"):
        restart_argv("sshd.service", cfg)
