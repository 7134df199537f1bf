"""The byte cap, pinned whole: one hostile envelope bounded at each step's cap, compared with a
recorded JSON (`pytest --regen` rewrites tests/fixtures/bound/*.json; review the diff).

Each cap stops at a different step of `bound` (long outside strings, evidence shrunk, evidence
dropped, messages shrunk, findings dropped, data dropped, every string cut, the skeleton), so a
change to what is cut, in which order, or how the cut is recorded changes one of these files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from diag.envelope import bound, finalize, size_of
from schemas.envelope import Envelope, ErrorCode, ErrorInfo, Finding, HostRef, Status

GOLDEN = Path(__file__).resolve().parents[2] / "fixtures" / "bound"
CAPS = (1024, 2700, 3000, 8000, 11900, 12600, 13400, 14000, 17000, 19000)


def hostile() -> Envelope:
    lines = "\n".join(f"[{i:5}] NVRM: Xid (PCI:0000:{i:02x}:00): 79, fallen off" for i in range(40))
    findings = [
        Finding(check_id="gpu.xid", status=Status.FAIL, entity="GPU-é" * 3,
                message="Xid 79 " + "m" * 600, evidence=[lines, "short", "ü" * 900]),
        Finding(check_id="host.disk", status=Status.WARN, entity="/", message="w" * 300,
                evidence=["e" * 2000]),
        Finding(check_id="host.clock", status=Status.UNKNOWN, message="u" * 200),
        Finding(check_id="host.cpu", status=Status.PASS, message="p" * 100, evidence=["x\ny"]),
        Finding(check_id="gpu.fm", status=Status.NOT_APPLICABLE, message="n" * 50),
        Finding(check_id="host.crash", status=Status.ERROR, message="boom " * 40),
    ]  # fmt: skip
    env = Envelope(
        kind="health.l1",
        tool_version="9.9",
        host=HostRef(name="gpu-" + "n" * 300, address="10.0.0.1", host_id="h" * 300),
        ok=False,
        status=Status.UNKNOWN,
        collected_at="2026-01-01T00:00:00Z",
        duration_ms=5,
        findings=findings,
        errors=[ErrorInfo(code=ErrorCode.TOOL_MISSING, message="t" * 300, hint="apt")],
        data={"facts": {"kernel": "k" * 9000, "nested": [[["deep"] * 3] * 2]},
              "checks": [{"id": f"c{i}", "ms": i} for i in range(20)]},
    )  # fmt: skip
    return finalize(env)


def _golden(name: str, got: dict[str, Any], regen: bool) -> None:
    path = GOLDEN / f"{name}.json"
    if regen:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n")
    assert got == json.loads(path.read_text()), f"{path}: differs (pytest --regen rewrites it)"


@pytest.mark.parametrize("cap", CAPS)
def test_bound_at_each_cap(cap: int, request: pytest.FixtureRequest) -> None:
    env = hostile()
    out = bound(env, cap)
    assert size_of(out) <= cap
    assert (out.status, out.summary) == (env.status, env.summary)
    _golden(f"cap_{cap}", out.model_dump(mode="json"), request.config.getoption("--regen"))


def test_under_the_cap_is_returned_unchanged() -> None:
    env = hostile()
    size = size_of(env)
    assert bound(env, size) is env
    assert bound(env, size - 1) is not env


def test_a_cap_below_the_minimum_counts_as_the_minimum() -> None:
    assert bound(hostile(), 10) == bound(hostile(), 1024)


def test_skeleton_when_bounding_itself_fails(request: pytest.FixtureRequest) -> None:
    """`data` that cannot be serialised: bounding raises inside, the skeleton comes out."""
    env = hostile()
    env.data = {"bad": object()}
    out = bound(env, 4000)
    assert size_of(out) <= 4000
    _golden("skeleton_error", out.model_dump(mode="json"), request.config.getoption("--regen"))


def test_skeleton_when_errors_alone_exceed_the_cap(request: pytest.FixtureRequest) -> None:
    env = hostile()
    env.errors = [ErrorInfo(code=ErrorCode.TRANSPORT, message=f"e{i}" * 40) for i in range(40)]
    out = bound(env, 1024)
    assert size_of(out) <= 1024
    _golden("skeleton_small", out.model_dump(mode="json"), request.config.getoption("--regen"))


def test_notes_past_the_limit_are_summed(request: pytest.FixtureRequest) -> None:
    """40 findings' evidence dropped: 32 notes, then one `(more)` entry with the sums."""
    env = hostile()
    env.findings = [
        Finding(check_id=f"c{i}", status=Status.FAIL, evidence=[f"{i}\n" * 60]) for i in range(40)
    ]
    out = bound(finalize(env), 7000)
    assert size_of(out) <= 7000
    assert len(out.truncated.fields) == 33 and out.truncated.fields[-1].path == "(more)"
    regen = request.config.getoption("--regen")
    _golden("more_notes", out.truncated.model_dump(mode="json"), regen)


def test_bounding_twice_adds_up_what_was_dropped(request: pytest.FixtureRequest) -> None:
    """A replayed, already-bounded envelope bounded again: counts accumulate, notes merge."""
    once = bound(hostile(), 12600)
    twice = bound(once, 8000)
    assert once.truncated.findings_dropped == 3 and twice.truncated.findings_dropped == 6
    regen = request.config.getoption("--regen")
    _golden("twice", twice.model_dump(mode="json"), regen)


@pytest.mark.parametrize("cap", CAPS)
def test_an_exact_fit_is_kept(cap: int) -> None:
    """Bounding to exactly the size a cut produced keeps at least as much: `<=`, not `<`."""
    out = bound(hostile(), cap)
    again = bound(hostile(), size_of(out))
    assert size_of(again) <= size_of(out)
    assert len(again.findings) == len(out.findings)
    assert again.truncated.findings_dropped == out.truncated.findings_dropped


def test_deep_data_long_keys_and_typed_data(request: pytest.FixtureRequest) -> None:
    """Data nested past MAX_DEPTH becomes a marker; a key over the limit is cut and noted;
    a typed `data` (HealthEnvelope) shrinks to its empty model, not to {}."""
    from schemas.health import HealthData, HealthEnvelope

    deep: object = ["bottom"]
    for i in range(40):
        deep = {f"l{i}": deep} if i % 2 else [deep]
    env = hostile()
    env.data = {"deep": deep, "k" * 9000: "v", "n": 1}
    regen = request.config.getoption("--regen")
    out = bound(env, size_of(env) - 1)
    assert len(out.findings) == 6 and out.data["n"] == 1
    _golden("deep_data", out.model_dump(mode="json"), regen)
    plain = hostile().model_dump() | {"data": HealthData().model_dump()}
    typed = HealthEnvelope.model_validate(plain)
    typed.data.host_class = "c" * 9000
    out = bound(typed, 3000)
    assert type(out) is HealthEnvelope and out.data == HealthData()
    _golden("typed_data", out.model_dump(mode="json"), regen)


def test_skeleton_of_long_host_fields(request: pytest.FixtureRequest) -> None:
    env = hostile()
    env.host = HostRef(name="n" * 500, address="a" * 500, host_id="i" * 500,
                       host_id_source="s" * 500, hostname="h\x00" * 500)  # fmt: skip
    env.errors = [ErrorInfo(code=ErrorCode.TRANSPORT, message=f"e{i}" * 40) for i in range(40)]
    out = bound(env, 1024)
    h = out.host
    assert (len(h.host_id_source), len(h.hostname) > 0) == (12, True)
    _golden("skeleton_host", out.model_dump(mode="json"), request.config.getoption("--regen"))


def test_utc_now_is_rfc3339_milliseconds_z() -> None:
    import re
    from datetime import datetime, timezone

    from diag.envelope import utc_now

    got = utc_now()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", got), got
    then = datetime.fromisoformat(got.replace("Z", "+00:00"))
    assert abs((datetime.now(timezone.utc) - then).total_seconds()) < 5


@pytest.mark.parametrize(
    ("statuses", "errors", "status", "ok"),
    [
        ((), 0, "unknown", False),
        ((), 1, "error", False),  # no findings and an error: the collection failed
        (("pass", "pass", "warn"), 1, "warn", False),
        (("pass", "not_applicable"), 0, "pass", True),
    ],
)
def test_finalize(statuses: tuple[str, ...], errors: int, status: str, ok: bool) -> None:
    env = hostile()
    env.findings = [Finding(check_id="c", status=Status(s)) for s in statuses]
    env.errors = env.errors[:errors]
    env = finalize(env)
    assert (env.status.value, env.ok) == (status, ok)
    assert env.summary.model_dump() == {
        "total": len(statuses),
        "passed": statuses.count("pass"),
        "warn": statuses.count("warn"),
        "fail": 0,
        "unknown": 0,
        "error": 0,
        "not_applicable": statuses.count("not_applicable"),
    }


class _Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no")


def test_skeleton_of_a_broken_envelope(request: pytest.FixtureRequest) -> None:
    """Fields that are not what the model says (built without validation): every read in the
    skeleton is guarded, and what cannot be read becomes empty, zero or `error`."""
    env = Envelope.model_construct(
        kind=_Unprintable(),
        tool_version="v\ud800x",  # a lone surrogate: not encodable as UTF-8
        host=HostRef(name="h"),
        ok=True,
        status=Status.PASS,
        summary=None,
        findings=[],
        errors=[],
        truncated=None,
        collected_at="t",
        duration_ms="soon",
        data={},
    )
    out = bound(env, 1024)
    assert (out.kind, out.tool_version, out.status, out.duration_ms) == ("", "v?x", "error", 0)
    _golden("skeleton_broken", out.model_dump(mode="json"), request.config.getoption("--regen"))


class _Picky(Envelope):
    needed: int  # the skeleton cannot fill this: it falls back to a plain Envelope


def test_skeleton_falls_back_to_a_plain_envelope() -> None:
    env = _Picky.model_validate(hostile().model_dump() | {"needed": 1, "data": {"x": object()}})
    out = bound(env, 4000)
    assert type(out) is Envelope
    assert out.errors[0].message == "cut to its skeleton: PydanticSerializationError while bounding"


@pytest.mark.parametrize(
    ("text", "limit", "want", "note"),
    [
        ("abcdef", 8, "abcdef", None),  # JSON "abcdef" is 8 bytes: fits exactly
        ("abcdefg", 8, "abc…", (7, 6, 0)),
        ("a\nb\nc\nd\ne\nf", 12, "a\nb…", (11, 6, 4)),
        ("\x00" * 20, 20, "\x00…", (20, 4, 0)),  # NULs take 6 bytes each as JSON
    ],
)
def test_clip(text: str, limit: int, want: str, note: tuple[int, int, int] | None) -> None:
    from diag.envelope import _clip

    notes: list[Any] = []
    assert _clip(text, limit, "p", notes) == want
    got = [(n.original_bytes, n.kept_bytes, n.lines_dropped) for n in notes]
    assert got == ([note] if note else [])


def test_outside_only_exact_fit_keeps_every_finding_whole() -> None:
    out = bound(hostile(), 19000)
    again = bound(hostile(), size_of(out))
    assert again.findings == out.findings


def test_skeleton_keeps_the_typed_envelope() -> None:
    from schemas.health import HealthData, HealthEnvelope

    plain = hostile().model_dump() | {"data": HealthData().model_dump()}
    env = HealthEnvelope.model_validate(plain)
    env.errors = [ErrorInfo(code=ErrorCode.TRANSPORT, message=f"e{i}" * 40) for i in range(40)]
    out = bound(env, 1024)
    assert type(out) is HealthEnvelope and out.truncated.fields[0].path == "(all)"


def test_huge_evidence_and_deep_observed(request: pytest.FixtureRequest) -> None:
    """Evidence over OUTSIDE_MAX is left to the evidence steps (not the outside cut); an
    `observed` value nested past MAX_DEPTH inside a finding becomes the marker."""
    deep: object = "bottom"
    for _ in range(40):
        deep = [deep]
    env = hostile()
    env.findings[0].evidence = ["E" * 12000]
    env.findings[1].observed = deep
    out = bound(finalize(env), size_of(env) - 500)
    _golden("huge_evidence", out.model_dump(mode="json"), request.config.getoption("--regen"))
