"""Several jump hosts on one PostgreSQL registry (a real throwaway cluster, tests/support/
postgres.py): concurrent `diagctl ingest --registry postgresql://...` runs over overlapping
collections record every host exactly once; eight processes moving one asset never move it
twice from the same version; the server going away mid-ingest loses nothing acknowledged and
a re-run after it is back records the rest, each host once."""

from __future__ import annotations

import itertools
import multiprocessing as mp
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from lifecycle.phases import Decision, Phase, Verdict
from lifecycle.registry.errors import ConflictError
from lifecycle.registry.store import AssetInfo, open_registry
from tests.support.ingest_dirs import CHECKS, write_collection
from tests.support.postgres import PgCluster

pytestmark = [pytest.mark.integration]
CTX = mp.get_context("fork")
CYCLE = {"provision": "incident", "incident": "monitor", "monitor": "provision"}


def _ingest(coll: Path, url: str) -> subprocess.Popen[str]:
    """`diagctl ingest` in its own process; stdout (many envelopes: more than a pipe buffers
    while the test waits elsewhere) goes to COLL.out, stderr to a pipe."""
    argv = [sys.executable, "-m", "diag.cli", "ingest", str(coll), "--json", "--check", CHECKS,
            "--registry", url, "--lock-wait", "5"]  # fmt: skip
    with open(f"{coll}.out", "w") as sink:
        return subprocess.Popen(argv, stdout=sink, stderr=subprocess.PIPE, text=True)


def _actions(url: str) -> list[tuple[str, str]]:
    eng = create_engine(url)
    with eng.connect() as c:
        rows = c.execute(text("SELECT host_id, entry FROM history ORDER BY host_id, id")).all()
    eng.dispose()
    return [(r[0], r[1]) for r in rows]


@pytest.mark.timeout(90)
def test_concurrent_ingests_of_overlapping_collections_record_each_host_once(
    pg_cluster: PgCluster, tmp_path: Path
) -> None:
    url = pg_cluster.new_db("overlap").replace("postgresql+psycopg://", "postgresql://")
    colls = []
    for k in range(4):  # jump host k saw hosts 5k .. 5k+9: each host is in two collections
        colls.append(tmp_path / f"site{k}")
        write_collection(colls[-1], 10, first=5 * k)
    procs = [_ingest(c, url) for c in colls]
    outs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, [e for _, e in outs]
    hosts = [f"SN{i:04}" for i in range(25)]
    assert _actions(pg_cluster.url("overlap")) == [
        (h, kind) for h in hosts for kind in ("transition", "action")
    ]


def _mover(url: str, barrier: mp.synchronize.Barrier, out: mp.Queue) -> None:  # type: ignore[name-defined]
    reg = open_registry(url, wait_s=30)
    barrier.wait(timeout=30)
    won = lost = 0
    for _ in range(6):
        a = reg.get("SN1")
        try:
            reg.move("SN1", Phase(CYCLE[a.phase]), a.version, Decision(Verdict.MOVE), "m")
            won += 1
        except ConflictError:
            lost += 1
    out.put((won, lost))


@pytest.mark.timeout(90)
def test_eight_movers_never_move_an_asset_twice_from_one_version(pg_cluster: PgCluster) -> None:
    url = pg_cluster.new_db("movers")
    reg = open_registry(url)
    reg.register(AssetInfo("SN1", "gpu-1"), "setup")
    reg.move("SN1", Phase.PROVISION, 1, Decision(Verdict.MOVE), "setup")
    barrier, out = CTX.Barrier(8), CTX.Queue()
    procs = [CTX.Process(target=_mover, args=(url, barrier, out)) for _ in range(8)]
    for p in procs:
        p.start()
    results = [out.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    won = sum(w for w, _ in results)
    assert sum(w + lost for w, lost in results) == 48 and won >= 6
    moves = [e for e in open_registry(url).history("SN1") if e.entry == "transition"][2:]
    assert len(moves) == won  # every win recorded once, no conflict recorded
    chain = ["provision"] + [e.to_phase for e in moves]
    assert [e.from_phase for e in moves] == chain[:-1]  # each move starts where the last ended
    assert all(CYCLE[a] == b for a, b in itertools.pairwise(chain))
    assert open_registry(url).get("SN1").version == 2 + won


def _wait_for_lock_waiter(url: str, deadline_s: float) -> None:
    eng = create_engine(url)
    end = time.monotonic() + deadline_s
    q = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
    try:
        while time.monotonic() < end:
            with eng.connect() as c:
                if c.execute(text(q)).scalar():
                    return
            time.sleep(0.05)
    finally:
        eng.dispose()
    pytest.fail("ingest never reached the locked asset")


def _recorded(url: str) -> set[str]:
    eng = create_engine(url)
    with eng.connect() as c:
        got = {r[0] for r in c.execute(text("SELECT host_id FROM history WHERE action = 'l1'"))}
    eng.dispose()
    return got


@pytest.mark.timeout(90)
def test_server_gone_mid_ingest_keeps_what_was_acknowledged(
    pg_cluster: PgCluster, tmp_path: Path
) -> None:
    url = pg_cluster.new_db("gone")
    coll = tmp_path / "run1"
    names = write_collection(coll, 40)
    open_registry(url).register(AssetInfo("SN0020", "gpu-0020"), "setup")
    holder = create_engine(url)
    conn = holder.connect()
    conn.begin()  # an operator's transaction holding gpu-0020's row: ingest waits there
    conn.execute(text("SELECT host_id FROM assets WHERE host_id = 'SN0020' FOR UPDATE"))
    proc = _ingest(coll, url)
    try:
        _wait_for_lock_waiter(url, 60)
        before = _recorded(url)
        pg_cluster.stop()
        err = proc.communicate(timeout=60)[1]
    finally:
        proc.kill() if proc.poll() is None else None
        conn.invalidate()
        holder.dispose()
        if not (Path(pg_cluster.dir) / ".s.PGSQL.5432").exists():
            pg_cluster.start()
    judged = Path(f"{coll}.out").read_text().splitlines()
    assert proc.returncode == 1 and len(judged) == 40  # every host judged and emitted
    lost = 40 - len(before)
    assert "SN0020" not in before and 0 < lost < 40
    shown = f"postgresql+psycopg://***@/gone?host={pg_cluster.dir}&port=5432"
    pattern = (
        rf"diagctl: registry {re.escape(shown)}: {lost} host\(s\) judged but not recorded "
        rf"\((gpu-\d{{4}}, ){{4}}gpu-\d{{4}} and {lost - 5} more\): OperationalError: .+; "
        rf"{len(before)} recorded before it failed are kept; re-run ingest to record the rest "
        r"\(already recorded hosts are not recorded twice\)"
    )
    assert re.fullmatch(pattern, err.strip()), err
    assert _recorded(url) == before  # after the restart: exactly what was acknowledged
    again = _ingest(coll, url)
    assert again.wait(timeout=60) == 0, again.stderr.read() if again.stderr else ""
    assert _actions(url) == [(f"SN{i:04}", k) for i in range(40) for k in ("transition", "action")]
    assert len(names) == 40
