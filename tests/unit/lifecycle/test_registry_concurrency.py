"""Several processes on one SQLite registry at once, as cron runs and two operators would be:
nothing lost, one schema migration, and of two moves of one asset exactly one wins."""

from __future__ import annotations

import multiprocessing as mp
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lifecycle.phases import Decision, Phase, Verdict
from lifecycle.registry.errors import ConflictError
from lifecycle.registry.store import AssetInfo, open_registry

CTX = mp.get_context("fork")
WRITERS, EACH = 6, 15


def _writer(url: str, n: int, barrier: mp.synchronize.Barrier) -> None:  # type: ignore[name-defined]
    barrier.wait(timeout=30)
    reg = open_registry(url, wait_s=30)  # a brand-new file: every writer races to migrate it
    reg.register(AssetInfo(f"SN{n}", f"gpu-{n}"), f"w{n}")
    for i in range(EACH):
        reg.record(f"SN{n}", "note", "pass", f"w{n}", f"{n}:{i}")


def _join(procs: list[mp.Process]) -> list[int | None]:
    for p in procs:
        p.join(timeout=60)
    return [p.exitcode for p in procs]


@pytest.mark.timeout(90)
def test_concurrent_writers_lose_nothing_and_migrate_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    barrier = CTX.Barrier(WRITERS)
    procs = [CTX.Process(target=_writer, args=(url, n, barrier)) for n in range(WRITERS)]
    for p in procs:
        p.start()
    assert _join(procs) == [0] * WRITERS
    reg = open_registry(url)
    assert [a.host_id for a in reg.assets()] == [f"SN{n}" for n in range(WRITERS)]
    notes = [e.reason for a in reg.assets() for e in reg.history(a.host_id) if e.action == "note"]
    assert sorted(notes) == sorted(f"{n}:{i}" for n in range(WRITERS) for i in range(EACH))
    from sqlalchemy import text

    with reg.engine.connect() as c:
        assert c.execute(text("SELECT version_num FROM alembic_version")).all() == [("r0001",)]


def _mover(url: str, to: str, barrier: mp.synchronize.Barrier, out: mp.Queue) -> None:  # type: ignore[name-defined]
    reg = open_registry(url, wait_s=30)
    seen = reg.get("SN1")
    barrier.wait(timeout=30)  # both have read version 1 before either writes
    try:
        reg.move("SN1", Phase(to), seen.version, Decision(Verdict.MOVE), f"op-{to}")
        out.put((to, "won"))
    except ConflictError as exc:
        out.put((to, str(exc)))


@pytest.mark.timeout(90)
def test_two_operators_moving_one_asset_one_wins_the_other_gets_a_conflict(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    reg = open_registry(url)
    reg.register(AssetInfo("SN1", "gpu-1"), "setup")
    reg.move("SN1", Phase.PROVISION, 1, Decision(Verdict.MOVE), "setup")
    reg.move("SN1", Phase.MONITOR, 2, Decision(Verdict.MOVE), "setup")
    barrier, out = CTX.Barrier(2), CTX.Queue()
    procs = [
        CTX.Process(target=_mover, args=(url, to, barrier, out)) for to in ("maintain", "incident")
    ]
    for p in procs:
        p.start()
    assert _join(procs) == [0, 0]
    results = dict(out.get(timeout=10) for _ in procs)
    winner = next(k for k, v in results.items() if v == "won")
    loser = next(k for k in results if k != winner)
    assert results[loser] == (
        f"asset SN1: changed by another writer (read version 3, now 4 in "
        f"phase {winner}); nothing written: re-read and retry"
    )
    after = open_registry(url)
    assert after.get("SN1").phase == winner
    assert [e.to_phase for e in after.history("SN1")] == ["receive", "provision", "monitor", winner]


@pytest.mark.timeout(90)
def test_two_cli_moves_with_if_version_one_wins(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    reg = open_registry(f"sqlite:///{db}")
    reg.register(AssetInfo("SN1", "gpu-1"), "setup")
    env = {**os.environ, "DIAGCTL_REGISTRY": str(db)}
    argv = [
        sys.executable,
        "-m",
        "diag.cli",
        "lifecycle",
        "move",
        "gpu-1",
        "--if-version",
        "1",
        "--json",
        "--to",
    ]
    procs = [
        subprocess.Popen(
            [*argv, to], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for to in ("retire", "retire")
    ]
    outs = [p.communicate(timeout=60) for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes == [0, 2], outs
    errs = [e for (_, e), p in zip(outs, procs, strict=True) if p.returncode == 2]
    assert errs == [
        "Error: asset SN1: changed by another writer (read version 1, now 2 in phase "
        "retire); nothing written: re-read and retry\n"
    ]
    assert [e.to_phase for e in open_registry(f"sqlite:///{db}").history("SN1")] == [
        "receive",
        "retire",
    ]
