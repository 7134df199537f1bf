"""`lifecycle record` on a real PostgreSQL registry (Debian's `postgresql`, a throwaway cluster:
tests/support/postgres.py): four processes feed the same recorded probe round (two envelopes
for one node, tests/fixtures/probes/device/h100_down_round.jsonl) at once; the per-asset lock
and the sha256 key record each envelope exactly once."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

import pytest

from exporters.source import SourceStats, from_path
from lifecycle.monitor_feeds import Thresholds
from lifecycle.monitor_record import record_all
from lifecycle.phases import Decision, Phase, Verdict
from lifecycle.registry.store import AssetInfo, open_registry
from tests.support.postgres import PgCluster

pytestmark = [pytest.mark.integration]
CTX = mp.get_context("fork")
DOWN = Path(__file__).parents[2] / "fixtures" / "probes" / "device" / "h100_down_round.jsonl"


def _feed(url: str, n: int, barrier: mp.synchronize.Barrier) -> None:  # type: ignore[name-defined]
    envs = list(from_path(DOWN, SourceStats()))
    barrier.wait(timeout=30)
    reg = open_registry(url, wait_s=30)
    record_all(reg, envs, Thresholds(), True, f"w{n}", lambda e: None)


@pytest.mark.timeout(90)
def test_concurrent_records_of_one_round_append_it_once(pg_cluster: PgCluster) -> None:
    url = pg_cluster.new_db("record")
    reg = open_registry(url)
    reg.register(AssetInfo("SN-a", "h100-a", "h100"), "op")
    forced = Decision(Verdict.FORCED)
    for to in (Phase.PROVISION, Phase.MONITOR):
        reg.move("SN-a", to, reg.get("SN-a").version, forced, "op", "test")
    barrier = CTX.Barrier(4)
    procs = [CTX.Process(target=_feed, args=(url, n, barrier)) for n in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    rows = [e for e in reg.history("SN-a") if e.entry == "action"]
    assert sorted((e.action, e.outcome) for e in rows) == [("probe", "fail"), ("probe", "fail")]
    assert len({e.evidence[0].sha256 for e in rows}) == 2
