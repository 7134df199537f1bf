"""One envelope per host, always: hostile payloads through the real pipeline (payload bytes as a
host sends them -> parse -> checks -> envelope -> bound -> serialise -> --out), one process or
several workers, and a run summary at the end."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diag.artifacts import host_dir
from diag.envelope import bound, finalize, size_of
from diag.hostcheck import HealthOptions
from diag.policy import Policy
from diag.session import run_health
from diag.transport.base import CommandResult, Target
from diag.transport.replay import ReplayTransport
from diag.workers import run_health_workers
from schemas.envelope import Envelope, Finding, HostRef, Status
from schemas.health import HealthData, HealthEnvelope, HostFacts, RunSummary
from tests.support.envelopes import envelope

DIAG = [sys.executable, "-m", "diag.cli"]
SCHEMAS = Path(__file__).resolve().parents[3] / "schemas" / "json"
HEALTH_SCHEMA = json.loads((SCHEMAS / "health.l1.schema.json").read_text())
RUN_SCHEMA = json.loads((SCHEMAS / "run.summary.schema.json").read_text())


def _record(root: Path, name: str, payload: bytes) -> None:
    raw = host_dir(root, name) / "raw"
    raw.mkdir(parents=True)
    (raw / "payload.json").write_bytes(payload)


def _payload(facts: dict[str, Any] | str, **captures: dict[str, Any]) -> bytes:
    stdout = facts if isinstance(facts, str) else json.dumps(facts)
    caps = {"facts": {"source": "facts", "rc": 0, "stdout": stdout}, **captures}
    return json.dumps({"payload_version": 1, "mode": "python", "captures": caps}).encode()


def _lines(res: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in res.stdout.splitlines()]


def test_max_bytes_1024_local_gives_one_valid_envelope_within_the_cap() -> None:
    res = subprocess.run(
        [*DIAG, "health", "--local", "--max-bytes", "1024"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode in (0, 1, 3), res.stderr
    assert res.stderr == ""
    (line,) = res.stdout.splitlines()
    assert len(line.encode()) <= 1024
    env = HealthEnvelope.model_validate_json(line)
    jsonschema.validate(json.loads(line), HEALTH_SCHEMA)
    assert env.truncated.cap_bytes == 1024
    assert env.summary.total > 0 and env.errors[-1].code.value == "output_truncated"


def test_a_70kb_hostname_is_cut_and_the_run_goes_on(tmp_path: Path) -> None:
    src, out = tmp_path / "in", tmp_path / "out"
    _record(src, "a", _payload({"hostname": "a", "cpu_count": 2}))
    _record(src, "big", _payload({"hostname": "h" * 70_000, "cpu_count": 2}))
    _record(src, "c", _payload({"hostname": "c", "cpu_count": 2}))
    res = subprocess.run(
        [*DIAG, "health", "--replay", str(src), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.stderr == ""
    envs = {e["host"]["name"]: e for e in _lines(res)}
    assert sorted(envs) == ["a", "big", "c"]
    big = envs["big"]
    assert big["host"]["hostname"] == "h" * 8187 + "…"
    assert big["data"]["facts"]["hostname"] == "h" * 8187 + "…"
    assert big["truncated"]["fields"] == [
        {"path": "host.hostname", "original_bytes": 70_000, "kept_bytes": 8190, "lines_dropped": 0},
        {
            "path": "data.facts.hostname",
            "original_bytes": 70_000,
            "kept_bytes": 8190,
            "lines_dropped": 0,
        },
    ]
    assert big["errors"][-1] == {
        "code": "output_truncated",
        "message": "envelope cut to fit 65536 bytes; see truncated",
        "hint": "raise --max-bytes or read the raw captures (--out DIR)",
    }
    summary = json.loads((out / "run.json").read_text())
    assert summary["hosts"] == 3 and summary["exit_code"] == res.returncode


def _options(cap: int = 65536) -> HealthOptions:
    return HealthOptions(policy=Policy.load(), max_bytes=cap)


def test_under_workers_a_huge_host_does_not_take_its_shard_mates(tmp_path: Path) -> None:
    src = tmp_path / "in"
    names = [f"n{i}" for i in range(6)]
    for n in names:
        host = "h" * 70_000 if n == "n2" else n
        _record(src, n, _payload({"hostname": host, "cpu_count": 2}))
    got: list[Envelope] = []
    targets = [Target(name=n) for n in names]
    res = run_health_workers(targets, ReplayTransport(src), _options(4096), got.append, None, 4, 2)
    assert sorted(e.host.name for e in res.envelopes) == names
    assert all(e.errors[0].message != "worker process died first" for e in got if e.errors)
    assert all(size_of(e) <= 4096 for e in got)


class _Buggy(ReplayTransport):
    """A transport with a bug (it raises): the fleet run must survive it, host by host."""

    async def run(self, host: Target, command: Any, stdin: bytes, timeout: float) -> CommandResult:
        if host.name == "bad":
            raise KeyError("secret-looking text the message must not repeat")
        return await super().run(host, command, stdin, timeout)


def test_an_exception_for_one_host_is_an_error_envelope_and_the_run_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, out = tmp_path / "in", tmp_path / "out"
    for n in ("a", "bad", "c"):
        _record(src, n, _payload({"hostname": n}))
    got: list[Envelope] = []
    targets = [Target(name=n) for n in ("a", "bad", "c")]
    res = run_health(targets, _Buggy(src), _options(), got.append, out)
    assert sorted(e.host.name for e in got) == ["a", "bad", "c"]
    bad = next(e for e in got if e.host.name == "bad")
    assert bad.status is Status.ERROR and not bad.ok
    lines, first = inspect.getsourcelines(_Buggy.run)
    at = first + next(i for i, text in enumerate(lines) if "raise KeyError" in text)
    assert [e.model_dump(mode="json") for e in bad.errors] == [
        {
            "code": "internal",
            "message": f"diagctl failed on this host: KeyError at test_fleet_hostile.py:{at}",
            "hint": "a bug in diagctl: please report it with --out DIR/hosts/<host>/raw",
        }
    ]
    assert json.loads((out / "run.json").read_text())["hosts"] == 3
    assert int(res.exit) == 1
    assert capsys.readouterr().out == "", "no traceback on stdout"


def test_deeply_nested_facts_are_no_facts_not_a_crash(tmp_path: Path) -> None:
    src = tmp_path / "in"
    _record(src, "deep", _payload("[" * 100_000 + "]" * 100_000))
    got: list[Envelope] = []
    run_health([Target(name="deep")], ReplayTransport(src), _options(), got.append)
    (env,) = got
    assert env.host.hostname == "" and env.summary.total > 0
    assert all(e.code.value != "internal" for e in env.errors)


def test_bound_drops_typed_data_instead_of_raising() -> None:
    env = envelope(HealthEnvelope, data=HealthData(facts=HostFacts(kernel="k" * 5000)))
    out = bound(finalize(env), 1024)
    assert isinstance(out, HealthEnvelope) and size_of(out) <= 1024
    assert out.data == HealthData()
    assert [f.path for f in out.truncated.fields] == ["data"]


@pytest.mark.parametrize("cap", [1, 1023, 1024])
def test_bound_never_goes_below_the_skeleton_cap(cap: int) -> None:
    env = Envelope(
        kind="k" * 3000,
        tool_version="v" * 3000,
        host=HostRef(name="n" * 3000, address="a" * 3000, hostname="\x00" * 3000),
        ok=False,
        status=Status.FAIL,
        collected_at="c" * 3000,
        duration_ms=1,
        data={"x": [[[["deep"] * 50] * 50]]},
    )
    out = bound(env, cap)
    assert size_of(out) <= 1024 and out.status is Status.FAIL
    assert out.host.name == "n" * 59 + "…" and out.truncated.cap_bytes == 1024


# --- hypothesis: hostile payloads for several hosts through the whole pipeline ---------------

_HOSTILE = ["x", "\x00", "\x1b[2J\x1b]0;pwned\x07", "\ufffd", "é", "\n", "\\", '"', "\udcff"]
hostile_text = st.one_of(
    st.text(max_size=40),
    st.builds(lambda c, n: c * n, st.sampled_from(_HOSTILE), st.integers(0, 70_000)),
)
json_leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), hostile_text)
wrong_type = st.one_of(
    json_leaf, st.lists(json_leaf, max_size=3), st.dictionaries(hostile_text, json_leaf, max_size=3)
)
deep = st.integers(1, 5000).map(lambda n: "[" * n + "]" * n)
facts = st.one_of(
    deep,
    hostile_text,
    st.fixed_dictionaries(
        {},
        optional={
            k: st.one_of(hostile_text, wrong_type)
            for k in ("hostname", "kernel", "cpu_count", "uptime_s", "os_release", "machine_id")
        },
    ).map(json.dumps),
)
capture = st.fixed_dictionaries(
    {"source": hostile_text},
    optional={"stdout": st.one_of(hostile_text, deep), "rc": wrong_type, "error": wrong_type},
)
names = ["facts", "mounts", "loadavg", "meminfo", "vmstat", "dmesg", "smi_csv", "nvml"]
payload_doc = st.fixed_dictionaries(
    {
        "payload_version": st.one_of(st.just(1), wrong_type),
        "captures": st.dictionaries(
            st.one_of(st.sampled_from(names), hostile_text), capture, max_size=4
        ),
    },
    optional={"mode": st.one_of(st.just("sh"), hostile_text), "duration_ms": wrong_type},
)


def _encode(doc: dict[str, Any], facts_stdout: str, banner: bytes) -> bytes:
    doc["captures"]["facts"] = {"source": "facts", "stdout": facts_stdout}
    text = json.dumps(doc, ensure_ascii=False)
    # `\udcff` stands for a raw invalid byte (0xff) in what the host sent
    return banner + text.encode("utf-8", "surrogateescape")


host_payload = st.one_of(
    st.builds(_encode, payload_doc, facts, st.sampled_from([b"", b"motd \xff\x1b[1m\n"])),
    deep.map(str.encode),
    st.binary(max_size=200),
)


def _is(shown: str, name: str) -> bool:
    return shown == name or (shown.endswith("…") and name.startswith(shown[:-1]))


HOST_NAMES = ["a/b", "..", "run.json", "x" * 300, "\x1b[31mred", "ok", "a b", "hosts"]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    payloads=st.lists(host_payload, min_size=3, max_size=3),
    hosts=st.lists(st.sampled_from(HOST_NAMES), min_size=3, max_size=3, unique=True),
    cap=st.sampled_from([1024, 8192, 65536]),
    workers=st.sampled_from([0, 2]),
)
def test_hostile_payloads_give_one_valid_envelope_per_host_and_a_summary(
    tmp_path_factory: pytest.TempPathFactory,
    payloads: list[bytes],
    hosts: list[str],
    cap: int,
    workers: int,
) -> None:
    root = tmp_path_factory.mktemp("hostile")
    src, out = root / "in", root / "out"
    for name, payload in zip(hosts, payloads, strict=True):
        _record(src, name, payload)
    lines: list[str] = []

    def emit(env: Envelope) -> None:
        lines.append(env.model_dump_json())

    targets = [Target(name=n) for n in hosts]
    opts, transport = _options(cap), ReplayTransport(src)
    if workers:
        run_health_workers(targets, transport, opts, emit, out, 4, workers)
    else:
        run_health(targets, transport, opts, emit, out)
    assert len(lines) == 3
    for line in lines:
        assert len(line.encode()) <= cap and "\n" not in line
        HealthEnvelope.model_validate_json(line)
        jsonschema.validate(json.loads(line), HEALTH_SCHEMA)
    for name in hosts:  # exact, or cut (and said so) where the cap left no room for it
        (env,) = [e for e in map(json.loads, lines) if _is(e["host"]["name"], name)]
        cut = {f["path"] for f in env["truncated"]["fields"]}
        assert env["host"]["name"] == name or cut & {"host.name", "(all)"}
    assert all("worker process died" not in line for line in lines)
    summary = (out / "run.json").read_text()
    jsonschema.validate(json.loads(summary), RUN_SCHEMA)
    assert RunSummary.model_validate_json(summary).hosts == 3
    for name in hosts:
        assert (host_dir(out, name) / "envelope.json").is_file()


def test_an_envelope_that_cannot_be_serialised_becomes_its_skeleton() -> None:
    nul = "\x00" * 3000
    env = Envelope(
        kind=nul,
        tool_version=nul,
        host=HostRef(name=nul, address=nul, host_id=nul, host_id_source=nul, hostname=nul),
        ok=False,
        status=Status.WARN,
        collected_at=nul,
        duration_ms=1,
        findings=[Finding(check_id="c", status=Status.WARN, observed=object())],
    )
    out = bound(env, 1024)
    assert size_of(out) <= 1024 and out.status is Status.WARN and out.summary.total == 1
    assert out.host.name == "\x00" * 7 + "…"  # each NUL is 6 bytes of JSON: 64 bytes hold 7
    assert [e.model_dump(mode="json") for e in out.errors] == [
        {
            "code": "output_truncated",
            "message": "cut to its skeleton: PydanticSerializationError while bounding",
            "hint": "",
        }
    ]
    assert [f.path for f in out.truncated.fields] == ["(all)"]
    assert out.truncated.findings_dropped == 1 and out.findings == []
