"""The byte cap holds for hostile input, and says what it cut."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from diag.checks import REGISTRY
from diag.envelope import bound, finalize, size_of
from diag.hostcheck import HealthOptions, check_host
from diag.policy import Policy
from diag.transport.base import Target
from diag.transport.replay import ReplayTransport
from schemas.envelope import Envelope, Finding, Status
from tests.support.envelopes import envelope

STATUSES = [Status.PASS, Status.WARN, Status.FAIL, Status.UNKNOWN, Status.ERROR]


def _env(findings: list[Finding]) -> Envelope:
    return finalize(envelope(findings=findings, data={"blob": "x" * 5000}))


finding_st = st.builds(
    Finding,
    check_id=st.text(min_size=1, max_size=40),
    status=st.sampled_from(STATUSES),
    entity=st.text(max_size=200),
    message=st.text(max_size=3000),
    evidence=st.lists(st.text(max_size=20000), max_size=4),
)


@settings(max_examples=60, deadline=None)
@given(findings=st.lists(finding_st, max_size=60), cap=st.integers(min_value=1024, max_value=70000))
def test_cap_holds_for_any_findings(findings: list[Finding], cap: int) -> None:
    env = _env(findings)
    before = env.status
    out = bound(env, cap)
    assert size_of(out) <= cap
    json.loads(out.model_dump_json())  # one valid JSON document
    assert out.status == before, "cutting never changes the verdict"
    assert out.summary.total == len(findings), "the summary still counts every finding"
    if size_of(env) > cap:
        assert out.truncated.cap_bytes == cap
        assert out.truncated.fields or out.truncated.findings_dropped or not out.findings


def test_cut_is_deterministic_and_largest_evidence_first() -> None:
    small = Finding(check_id="a", status=Status.WARN, evidence=["s" * 300])
    big = Finding(check_id="b", status=Status.FAIL, evidence=["b" * 40000, "line\n" * 2000])
    env = _env([small, big])
    one, two = bound(env, 20000), bound(env, 20000)
    assert one.model_dump_json() == two.model_dump_json()
    assert one.truncated.fields[0].path == "findings[1].evidence[0]"
    assert one.findings[0].evidence == ["s" * 300], (
        "small excerpts survive when cutting big ones does"
    )
    assert one.truncated.fields[0].original_bytes == 40000


def test_fail_findings_are_kept_longest() -> None:
    many = [Finding(check_id=f"c{i}", status=Status.PASS, message="p" * 150) for i in range(3000)]
    many.insert(1500, Finding(check_id="bad", status=Status.FAIL, message="the one that matters"))
    out = bound(_env(many), 8192)
    assert size_of(out) <= 8192
    assert "bad" in [f.check_id for f in out.findings]
    assert out.truncated.findings_dropped > 0
    assert out.summary.fail == 1 and out.summary.total == 3001


def _replay_dir(tmp_path: Path, captures: dict[str, dict[str, object]]) -> ReplayTransport:
    raw = tmp_path / "hostile" / "raw"
    raw.mkdir(parents=True)
    doc = {
        "payload_version": 1,
        "mode": "python",
        "duration_ms": 1,
        "captures": {k: {"source": k, "rc": 0, **v} for k, v in captures.items()},
    }
    (raw / "payload.json").write_text(json.dumps(doc))
    return ReplayTransport(tmp_path)


def test_hostile_captures_through_the_whole_pipeline(tmp_path: Path) -> None:
    """100k read-only mounts, binary garbage, ANSI escapes and invalid UTF-8 (already replaced
    by the payload) through parse → checks → envelope: still one line under the cap."""
    mounts = "".join(f"/dev/sd{i} /mnt/\x1b[31m{i}\udcff ext4 ro 0 0\n" for i in range(100_000))
    caps = {
        "mounts": {"stdout": mounts.encode("utf-8", "surrogateescape").decode("utf-8", "replace")},
        "loadavg": {"stdout": "\x00\x01\xff\x1b[2J" * 1000},
        "meminfo": {"stdout": "MemTotal: 100 kB\nMemAvailable: 1 kB\n" + "\ufffd" * 100_000},
        "facts": {"stdout": json.dumps({"hostname": "h\x1b[0m", "cpu_count": 2})},
    }
    rt = _replay_dir(tmp_path, caps)
    opts = HealthOptions(policy=Policy.load(), checks=list(REGISTRY.values()), max_bytes=65536)
    run = asyncio.run(check_host(rt, Target(name="hostile"), opts))
    line = run.envelope.model_dump_json()
    assert len(line.encode()) <= 65536
    assert "\n" not in line
    env = json.loads(line)
    assert env["status"] == "fail"  # the read-only mounts are still judged
    assert env["truncated"]["findings_dropped"] > 90_000
    assert any(e["code"] == "output_truncated" for e in env["errors"])
    assert "\x1b" not in "".join(e for f in env["findings"] for e in f["evidence"])
