"""State file (flock, atomic writes), the audit log, and the Prometheus textfile."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from probes import audit, prom, state
from schemas.probe import (
    ActionKind,
    ActionResult,
    AuditRecord,
    NodeState,
    ProbeData,
    StateFile,
    Timings,
    Verdict,
)


def test_state_round_trip_and_lock(tmp_path: Path) -> None:
    path = tmp_path / "s" / "state.json"
    assert state.load(path) == StateFile()
    with state.locked(path, 1):
        state.save(path, StateFile(nodes={"n": NodeState(consecutive_fail=2)}))
        with pytest.raises(state.StateError, match="another probe run"), state.locked(path, 0.2):
            pass
    with state.locked(path, 0.2):  # released
        assert state.load(path).nodes["n"].consecutive_fail == 2
    assert not list(path.parent.glob(".state.json.*.tmp"))


def test_lock_is_held_across_processes(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    code = (
        "import sys, time; from pathlib import Path; from probes.state import locked\n"
        f"with locked(Path({str(path)!r}), 1):\n    print('in', flush=True); time.sleep(3)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "in"
        with pytest.raises(state.StateError), state.locked(path, 0.3):
            pass
    finally:
        proc.kill()
        proc.wait()
    with state.locked(path, 1):
        pass


def test_bad_state_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text("{not json")
    with pytest.raises(state.StateError, match="unreadable state file"):
        state.load(path)


def test_audit_appends_never_rewrites(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    rec = AuditRecord(at="2026-11-22T20:00:00Z", who="me", action=ActionKind.CORDON,
                      result=ActionResult.PLANNED, node="n1")  # fmt: skip
    audit.append(path, rec)
    first = path.read_bytes()
    audit.append(path, rec.model_copy(update={"result": ActionResult.DONE}))
    assert path.read_bytes().startswith(first)
    assert [r.result for r in audit.read(path)] == [ActionResult.PLANNED, ActionResult.DONE]


PROM_GOLDEN = Path(__file__).parents[2] / "fixtures" / "probes" / "prom" / "two-targets.prom"


def test_prom_textfile(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """The whole textfile against a golden file (`--regen` rewrites it; review the diff).
    Every name carries the diagctl_ prefix: blackbox_exporter owns `probe_success`."""
    rows = [
        ProbeData(target="a", node="n1", group="g", model="m", verdict=Verdict.HEALTHY,
                  timings=Timings(ttft_ms=12.5, itl_ms_max=3.0, tokens=8, e2e_ms=40)),
        ProbeData(target="b", node="n2", group="g", model="m", verdict=Verdict.ZOMBIE,
                  timings=Timings(e2e_ms=2000)),
    ]  # fmt: skip
    path = tmp_path / "probe.prom"
    prom.write(path, rows)
    text = path.read_text()
    if request.config.getoption("--regen"):
        PROM_GOLDEN.write_text(text)
    assert text == PROM_GOLDEN.read_text()
    names = {ln.split("{")[0].split(" ")[0] for ln in text.splitlines() if not ln.startswith("#")}
    assert sorted(n for n in names if not n.startswith("diagctl_probe_")) == []
    assert "probe_success" not in names


def test_state_forgets_unlisted_nodes_but_not_our_cordons(tmp_path: Path) -> None:
    from probes.runner import _save
    from schemas.probe import TargetsFile

    tf = TargetsFile.model_validate(
        {"targets": [{"name": "a", "url": "http://h:1", "model": "m", "node": "n1"}]}
    )
    st = StateFile(
        nodes={
            "n1": NodeState(consecutive_fail=1),
            "gone": NodeState(consecutive_fail=2),
            "held": NodeState(cordoned_by_us=True),
        }
    )
    _save(st, [], tf, 0.0, tmp_path / "s.json")
    assert sorted(state.load(tmp_path / "s.json").nodes) == ["held", "n1"]
