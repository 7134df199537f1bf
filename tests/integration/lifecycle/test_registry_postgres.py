"""The registry on a real PostgreSQL server: a throwaway cluster (Debian's `postgresql`:
initdb + pg_ctl) listening only on a Unix socket in a temp directory, run as the `postgres`
user when the tests run as root. The same API as on SQLite: migration on first use (several
processes at once: exactly one migrates), history, and the conflict of two concurrent moves."""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Iterator

import pytest

from lifecycle.phases import Decision, Phase, Verdict
from lifecycle.registry.errors import ConflictError
from lifecycle.registry.store import AssetInfo, open_registry
from tests.support.postgres import PgCluster

pytestmark = [pytest.mark.integration]
CTX = mp.get_context("fork")


@pytest.fixture(scope="module")
def pg_base(pg_cluster: PgCluster) -> Iterator[PgCluster]:
    yield pg_cluster


def _new_db(base: PgCluster, name: str) -> str:
    return base.new_db(name)


def _open_and_register(url: str, n: int, barrier: mp.synchronize.Barrier) -> None:  # type: ignore[name-defined]
    barrier.wait(timeout=30)
    reg = open_registry(url, wait_s=30)
    reg.register(AssetInfo(f"SN{n}", f"gpu-{n}"), f"w{n}")
    for i in range(5):
        reg.record(f"SN{n}", "note", "pass", f"w{n}", f"{n}:{i}")


@pytest.mark.timeout(90)
def test_concurrent_first_use_migrates_once_and_loses_nothing(pg_base: PgCluster) -> None:
    url = _new_db(pg_base, "race")
    barrier = CTX.Barrier(4)
    procs = [CTX.Process(target=_open_and_register, args=(url, n, barrier)) for n in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    reg = open_registry(url)
    assert [a.host_id for a in reg.assets()] == ["SN0", "SN1", "SN2", "SN3"]
    assert sorted(
        e.reason for a in reg.assets() for e in reg.history(a.host_id) if e.action == "note"
    ) == sorted(f"{n}:{i}" for n in range(4) for i in range(5))


def _mover(url: str, to: str, barrier: mp.synchronize.Barrier, out: mp.Queue) -> None:  # type: ignore[name-defined]
    reg = open_registry(url, wait_s=30)
    seen = reg.get("SN1")
    barrier.wait(timeout=30)
    try:
        reg.move("SN1", Phase(to), seen.version, Decision(Verdict.MOVE), f"op-{to}")
        out.put((to, "won"))
    except ConflictError as exc:
        out.put((to, str(exc)))


@pytest.mark.timeout(90)
def test_history_and_two_concurrent_moves(pg_base: PgCluster) -> None:
    url = _new_db(pg_base, "moves")
    reg = open_registry(url)
    reg.register(AssetInfo("SN1", "gpu-1", "h100", ["SN1"]), "setup")
    reg.record("SN1", "l1", "pass", "setup", "ok")
    barrier, out = CTX.Barrier(2), CTX.Queue()
    procs = [
        CTX.Process(target=_mover, args=(url, to, barrier, out)) for to in ("provision", "retire")
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
    results = dict(out.get(timeout=10) for _ in procs)
    winner = next(k for k, v in results.items() if v == "won")
    loser = next(k for k in results if k != winner)
    assert results[loser] == (
        f"asset SN1: changed by another writer (read version 1, now 2 in "
        f"phase {winner}); nothing written: re-read and retry"
    )
    story = [(e.entry, e.action, e.to_phase, e.who) for e in open_registry(url).history("gpu-1")]
    assert story == [
        ("transition", "", "receive", "setup"),
        ("action", "l1", None, "setup"),
        ("transition", "", winner, f"op-{winner}"),
    ]
