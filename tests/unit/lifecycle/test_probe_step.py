"""The token probe as a phase step: verdict -> step outcome (boundary table over the probes' own
judge), whole findings and evidence, URLs with passwords never quoted, and a real refused
loopback port judged `down` (the kernel refuses: no stand-in)."""

from __future__ import annotations

import pytest

from diag.errors import UsageError
from diag.transport.base import Target
from lifecycle.probe_step import ProbeSpec, group_for, judged, run_probes, target_for
from lifecycle.receive import Step
from probes.client import Outcome
from schemas.envelope import Finding, Severity, Status
from schemas.lifecycle import EvidencePointer
from schemas.probe import Timings
from tests.support.net import free_port

PW = "pw-Pl4nted-9"
SPEC = ProbeSpec(url=f"http://diag:{PW}@{{host}}:8000", model="tiny", deadline_s=5)
HOST = Target("gpu-a-01", address="10.0.0.7")


def outcome(**kw: object) -> Outcome:
    connected = bool(kw.pop("connected", True))
    deadline_hit = bool(kw.pop("deadline_hit", False))
    tm = Timings.model_validate(kw)
    return Outcome(tm, connected=connected, deadline_hit=deadline_hit)


OK: dict[str, object] = {"http_status": 200, "connect_ms": 1.0, "e2e_ms": 101.0, "tokens": 8}
OK["finish_reason"] = "length"
H = "token probe healthy: 8 tokens, TTFT"


@pytest.mark.parametrize(
    "timings,step,status,message",
    [
        ({**OK, "ttft_ms": 20.0}, "pass", Status.PASS, f"{H} 20.0 ms"),
        ({**OK, "ttft_ms": 2000.0}, "pass", Status.PASS, f"{H} 2000.0 ms"),
        ({**OK, "ttft_ms": 2000.5}, "warn", Status.WARN,
         "token probe slow: TTFT 2000 ms > 2000 ms"),
        ({**OK, "tokens": 0, "deadline_hit": True}, "fail", Status.FAIL,
         "token probe zombie: 0 token(s) < 1: deadline passed"),
        ({**OK, "http_status": 404, "tokens": 0}, "fail", Status.FAIL,
         "token probe zombie: HTTP 404: no generation"),
        ({**OK, "http_status": 503, "tokens": 0}, "fail", Status.FAIL,
         "token probe down: HTTP 503"),
        ({"connected": False, "error": "connect: refused"}, "fail", Status.FAIL,
         "token probe down: connect: refused"),
    ],
)  # fmt: skip
def test_verdict_to_step_outcome(
    timings: dict[str, object], step: str, status: Status, message: str
) -> None:
    t = target_for(SPEC, HOST)
    s, f = judged(t, outcome(**timings), group_for(SPEC))
    assert (s.action, s.outcome, s.reason, f.status, f.message) == (
        "probe", step, message, status, message
    )  # fmt: skip


def test_whole_step_and_finding_with_the_password_redacted() -> None:
    t = target_for(SPEC, HOST)
    s, f = judged(t, outcome(**OK, ttft_ms=20.0), group_for(SPEC))
    url = "http://***@10.0.0.7:8000"
    msg = "token probe healthy: 8 tokens, TTFT 20.0 ms"
    assert s == Step(
        "probe",
        "pass",
        msg,
        [EvidencePointer(kind="note", path=url,
                         note=f"{msg}; model tiny, TTFT 20.0 ms, 80.0 tokens/s")],
    )  # fmt: skip
    assert f == Finding(
        check_id="lifecycle.probe",
        status=Status.PASS,
        severity=Severity.INFO,
        entity=url,
        message=msg,
        observed={
            "verdict": "healthy",
            "url": url,
            "model": "tiny",
            "http_status": 200,
            "ttft_ms": 20.0,
            "tokens": 8,
            "tokens_per_s": 80.0,
        },
    )
    assert PW not in repr((s, f))


@pytest.mark.parametrize(
    "spec,message",
    [
        (ProbeSpec(url=f"ftp://u:{PW}@h", model="m"),
         "--probe-url: Value error, must start with http:// or https://"),
        (ProbeSpec(url=f"http://u:{PW}#@h", model="m"),
         "--probe-url: Value error, has '@' or '#' after the host"),
        (ProbeSpec(url="http://h", model="m", max_tokens=0),
         "--probe-max-tokens: Input should be greater than or equal to 1"),
    ],
)  # fmt: skip
def test_bad_probe_options_never_quote_the_url(spec: ProbeSpec, message: str) -> None:
    with pytest.raises(UsageError) as err:
        target_for(spec, HOST)
    assert str(err.value).startswith(message) and PW not in str(err.value)
    assert err.value.exit_code == 2


def test_host_placeholder_and_a_refused_port_is_down() -> None:
    port = free_port("127.0.0.1")
    spec = ProbeSpec(url=f"http://{{host}}:{port}", model="tiny", deadline_s=2)
    got = run_probes(spec, [Target("a", address="127.0.0.1")])
    step, finding = got["a"]
    assert (step.outcome, finding.entity, finding.observed) == (
        "fail",
        f"http://127.0.0.1:{port}",
        {"verdict": "down", "url": f"http://127.0.0.1:{port}", "model": "tiny",
         "http_status": 0, "ttft_ms": None, "tokens": 0, "tokens_per_s": None},
    )  # fmt: skip
    assert finding.message.startswith("token probe down: connect: ConnectionRefusedError")
