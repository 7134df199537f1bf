"""The byte cap at the edges of each step, pinned whole (`pytest --regen` rewrites
tests/fixtures/bound/edge_*.json; review the diff).

Each cap lands on one edge: an exact fit right after a step, one byte over, a string whose JSON
form is exactly a cut limit (1025 and 257 bytes), the same string cut twice, strings of equal
size (ties), an excerpt already at the evidence floor. A change of `<=` to `<`, of a limit by
one, or of a tie-break changes one of these files.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from diag.envelope import bound, finalize, size_of
from schemas.envelope import Envelope, ErrorCode, ErrorInfo, Finding, HostRef, Replayed, Status
from tests.unit.foundation.test_bound_golden import hostile

GOLDEN = Path(__file__).resolve().parents[2] / "fixtures" / "bound"


def _env(findings: list[Finding], errors: list[ErrorInfo], name: str = "gpu-01") -> Envelope:
    env = Envelope(
        kind="health.l1",
        tool_version="9.9",
        host=HostRef(name=name),
        ok=False,
        status=Status.UNKNOWN,
        collected_at="2026-01-01T00:00:00Z",
        duration_ms=5,
        findings=findings,
        errors=errors,
        data={},
    )
    return finalize(env)


def long_strings() -> Envelope:
    """A 2004-byte host name, error texts of exactly 1025 and 257 JSON bytes (one over each cut
    limit), and one of 15000 bytes with 3000 lines (cut by the outside step, then again)."""
    texts = ("x" * 1023, "y" * 255, "line\n" * 3000, "z" * 3000, "w" * 3000)
    errors = [ErrorInfo(code=ErrorCode.TRANSPORT, message=t) for t in texts]
    finding = Finding(check_id="c", status=Status.FAIL, message="m")
    return _env([finding], errors, name="gpu-" + "n" * 2000)


def excerpts() -> Envelope:
    """An excerpt of exactly EVIDENCE_FLOOR bytes that JSON escapes to 122 (it sorts first and
    is not cut), a 100-byte one after it, and 12 excerpts of equal size (ties by path)."""
    first = Finding(check_id="a", status=Status.FAIL, evidence=["x\n" * 40, "b" * 100])
    ties = Finding(check_id="b", status=Status.WARN, evidence=["q" * 300] * 12)
    return _env([first, ties], [])


CASES: list[tuple[str, Callable[[], Envelope], int]] = [
    ("hostile", hostile, 2562),  # exact fit after a string-cut stage
    ("hostile", hostile, 11487),  # exact fit after a step
    ("hostile", hostile, 12167),  # findings dropped: the answer is one below a failed probe
    ("strings", long_strings, 1024),  # the skeleton: its note holds the size before
    ("strings", long_strings, 1751),  # exact fit with the host name cut to 64 bytes
    ("strings", long_strings, 1944),  # every stage runs; the host name is cut last
    ("strings", long_strings, 3616),  # exact fit after a string-cut stage
    ("strings", long_strings, 4430),  # the 257-byte text is cut at 256, then again
    ("strings", long_strings, 15120),  # exact fit after a step
    ("excerpts", excerpts, 1024),  # the floor-sized excerpt is skipped, the next one cut
    ("excerpts", excerpts, 2194),  # one byte over after a cut
    ("excerpts", excerpts, 2195),  # a floored cut leaves an excess of exactly 0
    ("excerpts", excerpts, 2415),  # equal-size excerpts: cut in path order
    ("excerpts", excerpts, 2926),  # exact fit after a step
]


def _golden(name: str, got: dict[str, Any], regen: bool) -> None:
    path = GOLDEN / f"{name}.json"
    if regen:
        path.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n")
    assert got == json.loads(path.read_text()), f"{path}: differs (pytest --regen rewrites it)"


@pytest.mark.parametrize(("name", "make", "cap"), CASES, ids=[f"{n}-{c}" for n, _, c in CASES])
def test_bound_at_an_edge(
    name: str, make: Callable[[], Envelope], cap: int, request: pytest.FixtureRequest
) -> None:
    env = make()
    out = bound(env, cap)
    assert size_of(out) <= cap
    assert (out.status, out.summary) == (env.status, env.summary)
    regen = request.config.getoption("--regen")
    _golden(f"edge_{name}_{cap}", out.model_dump(mode="json"), regen)


def test_lines_dropped_count_every_line_of_a_string_cut_twice() -> None:
    """Cut to OUTSIDE_MAX, then again by the string stages: one note counts every line lost."""
    out = bound(long_strings(), 1944)
    note = {n.path: n for n in out.truncated.fields}["errors[2].message"]
    kept = out.errors[2].message
    assert (note.original_bytes, note.lines_dropped) == (15000, 3000 - kept.count("\n"))


def test_the_host_name_is_cut_to_the_string_floor_before_the_skeleton() -> None:
    """Under the size with a 256-byte name, the name is cut to STRING_FLOOR bytes (as JSON) and
    the errors are kept; only under that does the skeleton come out."""
    out = bound(long_strings(), 1900)
    assert (out.host.name, len(out.errors)) == ("gpu-" + "n" * 55 + "…", 6)
    assert bound(long_strings(), 1750).truncated.fields[0].path == "(all)"


def test_the_skeleton_keeps_the_replay() -> None:
    env = hostile()
    env.replayed = Replayed(at="2026-01-02T00:00:00Z", source="/srv/runs/" + "r" * 300)
    env.errors = [ErrorInfo(code=ErrorCode.TRANSPORT, message=f"e{i}" * 40) for i in range(40)]
    out = bound(env, 1024)
    assert out.truncated.fields[0].path == "(all)"
    assert out.replayed == Replayed(at="2026-01-02T00:00:00Z", source="/srv/runs/" + "r" * 49 + "…")


def test_the_skeleton_without_a_readable_replay() -> None:
    """An envelope whose `replayed` cannot be read (built without validation): no replay, no
    exception."""
    env = Envelope.model_construct(**dict(hostile()))
    env.errors = [ErrorInfo(code=ErrorCode.TRANSPORT, message=f"e{i}" * 40) for i in range(40)]
    del env.__dict__["replayed"]
    out = bound(env, 1024)
    assert out.truncated.fields[0].path == "(all)" and out.replayed is None


def test_the_outside_cut_keeps_the_host_name() -> None:
    """A 9000-byte host name is over OUTSIDE_MAX, but the outside step keeps it whole."""
    env = hostile()
    env.host.name = "n" * 9000
    out = bound(env, size_of(env) - 1)
    assert out.host.name == "n" * 9000 and len(out.findings) == 6


def _many_findings(n: int) -> Envelope:
    findings = [Finding(check_id=f"c{i:02d}", status=Status.WARN, message="m") for i in range(n)]
    env = _env(findings, [])
    env.data = {"facts": "d" * 40}
    return env


def test_the_dropped_count_is_measured_while_choosing_what_to_keep() -> None:
    """`findings_dropped` going from 0 to 17 adds a byte. Were the findings kept chosen without
    that byte, the envelope would miss the cap by one, and dropping `data` (whose truncation
    note is larger than `{}` saves) would not help: the whole envelope became its skeleton at
    the caps one byte below each step (1161, 1325, ...). Every cap of the range is tried; the
    result must keep as many findings as the largest smaller cap did."""
    env = _many_findings(20)
    kept = []
    for cap in range(1024, 2400):
        out = bound(env, cap)
        assert size_of(out) <= cap
        kept.append(len(out.findings))
    assert kept == sorted(kept)  # a larger cap never keeps fewer findings
    assert (kept[0], kept[1161 - 1024], kept[1162 - 1024], kept[-1]) == (2, 2, 3, 10)
