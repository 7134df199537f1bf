"""Generic records (schemas/record.py's cheap_records(), which the `--local` fast paths call)
behave exactly as the dataclasses they stand in for, and become those dataclasses when pydantic
or anyone else imports `dataclasses`.

Each side runs in its own child process (tests/support/records_probe.py): the test process has
imported `dataclasses` long ago, so here every record is a real dataclass, and a cheap one can
only be made where nothing has.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from diag.fastpath import health, reset_judge
from diag.fastpath.argv import LocalHealth
from diag.fastpath.doc import Unusual
from diag.fastpath.reset_argv import LocalReset
from diag.transport.base import CommandResult, Target
from schemas import record
from tests.unit.speed.test_fast_local import INPUTS as HEALTH_INPUTS
from tests.unit.speed.test_fast_reset import INPUTS as RESET_INPUTS
from tests.unit.speed.test_fast_reset import ODD as RESET_ODD

ROOT = Path(__file__).resolve().parents[3]
STARTED = "2025-01-01T00:00:00.000Z"


def _probe(*args: str) -> object:
    out = subprocess.run(
        [sys.executable, "-m", "tests.support.records_probe", *args],
        cwd=ROOT,
        capture_output=True,
        check=False,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr.decode()[-3000:]
    return json.loads(out.stdout)


def test_generic_records_behave_as_the_dataclasses() -> None:
    cheap, real = _probe("describe", "cheap"), _probe("describe", "real")
    assert isinstance(real, dict) and len(real) >= 20  # every record class the fast paths load
    assert cheap == real
    # the table is not vacuous: it holds the messages a bad call gets
    finding = real["schemas.finding.Finding"]
    assert finding["no args"] == (
        "TypeError: Finding.__init__() missing 2 required keyword-only arguments: "
        "'check_id' and 'status'"
    )
    assert finding["all positional"].startswith("TypeError: Finding.__init__() takes 1 positional")
    target = real["diag.transport.base.Target"]
    assert target["setattr"].startswith("FrozenInstanceError: cannot assign to field")
    assert target["hashable class"] is True and finding["hashable class"] is False


def test_fast_paths_print_the_same_bytes_with_generic_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The byte-identity tests (test_fast_local.py, test_fast_reset.py) run with real records;
    this runs every one of their inputs through both fast paths with generic ones."""
    monkeypatch.setattr("time.monotonic", lambda: 100.0)
    monkeypatch.setattr("diag.fastpath.reset_judge.utc_now", lambda: STARTED)
    inputs = {
        "health": [(n, s.decode("utf-8", "surrogateescape")) for n, s in HEALTH_INPUTS],
        "reset": [(n, s.decode("utf-8", "surrogateescape")) for n, s in RESET_INPUTS + RESET_ODD],
    }
    cheap: dict[str, list[list[object]]] = {}
    for kind, items in inputs.items():  # one process each: the records start generic in both
        path = tmp_path / f"{kind}.json"
        path.write_text(json.dumps({kind: items}))
        got = _probe("envelopes", "cheap", str(path))
        assert isinstance(got, dict)
        cheap[kind] = got[kind]
    target = Target(name="gpu-01")
    want: dict[str, list[str | None]] = {"health": [], "reset": []}
    for _n, s in HEALTH_INPUTS:
        try:
            res = CommandResult(0, stdout=s)
            want["health"].append(
                health.envelope(target, res, LocalHealth(), STARTED, 100.0)[0].decode()
            )
        except (Unusual, ValueError, RecursionError):
            want["health"].append(None)
    for _n, s in RESET_INPUTS + RESET_ODD:
        try:
            res = CommandResult(0, stdout=s)
            want["reset"].append(
                reset_judge.envelope(target, res, LocalReset(), STARTED, 100.0)[0].decode()
            )
        except Exception:
            want["reset"].append(None)
    assert [line for line, _generic in cheap["health"]] == want["health"]
    assert [line for line, _generic in cheap["reset"]] == want["reset"]
    # most inputs were judged by the fast path with records still generic (an Xid loads
    # pydantic for the XID table, and that materializes them: those come last)
    for kind, least in (("health", 50), ("reset", 10)):
        generic = [line for line, g in cheap[kind] if g and line is not None]
        assert len(generic) > least, kind


def test_pydantic_turns_generic_records_into_the_real_dataclasses() -> None:
    after = _probe("materialize")
    assert isinstance(after, dict)
    assert after["dataclasses before"] is False
    assert after["same class"] is True
    assert after["is_dataclass"] == [True, True, True]
    from schemas.capture import Capture
    from schemas.enums import Status
    from schemas.finding import Finding
    from schemas.gpu import GpuInfo, GpuSnapshot

    finding = Finding(check_id="x", status=Status.PASS, evidence=["e"])
    snap = GpuSnapshot(backend="nvml", gpus=[GpuInfo(index=0, uuid="GPU-1")])  # type: ignore[call-arg]
    capture = Capture(source="/proc/x", stdout="a")
    assert after["fields"] == list(Finding.__record__)  # type: ignore[attr-defined]
    assert after["dumps"] == [
        finding.model_dump_json(),
        snap.model_dump_json(),
        capture.model_dump_json(),
    ]
    assert after["copy"] == repr(finding.model_copy(update={"message": "m"}))
    assert after["validate"] == repr(Finding.model_validate({"check_id": "y", "status": "warn"}))
    assert after["new instance"] == repr(Finding(check_id="z", status=Status.FAIL))


def test_records_stay_real_where_dataclasses_is_loaded() -> None:
    """cheap_records() in a process that already imported `dataclasses` (this one) changes
    nothing: no hook would ever turn its records real again."""
    assert "dataclasses" in sys.modules
    record.cheap_records()
    assert record._CHEAP is False

    @record.record(frozen=True)
    class Point:
        x: int
        y: int = 0

    import dataclasses

    assert dataclasses.is_dataclass(Point) and Point(1) == Point(1, 0)


def test_generic_records_refuse_what_they_do_not_reproduce(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inheritance between records and ClassVar/InitVar fields are left to dataclasses."""
    monkeypatch.setattr(record, "_CHEAP", True)
    monkeypatch.setattr(record, "_MADE", [])

    @record.record()
    class Base:
        a: int

    assert "__dataclass_fields__" not in vars(Base) and record._MADE  # generic

    @record.record()
    class Child(Base):
        b: int = 0

    assert "__dataclass_fields__" in vars(Child)  # made by dataclasses
    assert not record._generic_ok(type("C", (), {"__annotations__": {"k": "ClassVar[int]"}}))
    assert not record._generic_ok(type("D", (), {"__annotations__": {"k": "InitVar[int]"}}))
    assert record._generic_ok(
        type("E", (), {"__annotations__": {"__pydantic_config__": "ClassVar[dict[str, Any]]"}})
    )
    with pytest.raises(TypeError, match="non-default argument 'b' follows default argument"):

        @record.record()
        class Bad:
            a: int = 0
            b: int
