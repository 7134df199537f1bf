"""`diagctl ingest --registry`: each judged host upserted as an asset with one action pointing
at its envelope and the collector's record; a re-run records nothing twice; a host without an
identity is not recorded; a registry that cannot be opened stops the run before judging."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from diag.cli.main import cli
from lifecycle.registry.store import open_registry
from tests.support.ingest_dirs import CHECKS, write_collection, write_host


def _ingest(coll: Path, db: Path, *extra: str) -> Any:
    argv = ["ingest", str(coll), "--json", "--check", CHECKS, "--registry", str(db), *extra]
    return CliRunner().invoke(cli, argv)


def _story(db: Path) -> list[tuple[Any, ...]]:
    reg = open_registry(f"sqlite:///{db}")
    return [
        (a.host_id, a.name, a.phase, a.version, e.entry, e.action, e.outcome, e.reason,
         [(p.kind, p.path) for p in e.evidence])
        for a in reg.assets()
        for e in reg.history(a.host_id)
    ]  # fmt: skip


def test_records_each_host_once_and_a_rerun_adds_nothing(tmp_path: Path) -> None:
    coll, db = tmp_path / "run1", tmp_path / "r.db"
    write_collection(coll, 2)
    write_host(coll, "dead-1", {}, outcome="unreachable", rc=None, message="Connection refused")
    res = _ingest(coll, db, "--out", str(tmp_path / "judged"))
    assert res.exit_code == 4, res.stderr  # the unreachable host
    assert res.stderr == ""
    envs = [json.loads(x) for x in res.stdout.splitlines()]
    assert sorted(e["host"]["name"] for e in envs) == ["dead-1", "gpu-0000", "gpu-0001"]
    rec = str(coll / "hosts" / "gpu-0000" / "collected.json")
    judged = str(tmp_path / "judged" / "hosts" / "gpu-0000" / "envelope.json")
    reason = "health.l1 pass: 0 fail, 0 warn, 0 unknown"
    first = [
        ("SN0000", "gpu-0000", "receive", 1, "transition", "", "pass", "registered", []),
        ("SN0000", "gpu-0000", "receive", 1, "action", "l1", "pass", reason,
         [("envelope", judged), ("output", rec)]),
    ]  # fmt: skip
    story = _story(db)
    assert story[:2] == first and len(story) == 4  # gpu-0001 alike; dead-1 has no host_id
    entry = open_registry(f"sqlite:///{db}").history("SN0000")[1]
    assert entry.evidence[1].sha256 == hashlib.sha256(Path(rec).read_bytes()).hexdigest()
    assert entry.evidence[0].note == "health.l1 pass collected 2025-01-02T03:04:05.678Z (ingest)"

    again = _ingest(coll, db)
    assert again.exit_code == 4 and _story(db) == story


def test_a_new_collection_of_the_same_host_is_a_new_action(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    write_collection(tmp_path / "run1", 1)
    write_collection(tmp_path / "run2", 1)
    rec2 = tmp_path / "run2" / "hosts" / "gpu-0000" / "collected.json"
    doc = json.loads(rec2.read_text())
    doc["collected_at"] = "2025-01-03T00:00:00.000Z"
    rec2.write_text(json.dumps(doc))
    assert _ingest(tmp_path / "run1", db).exit_code == 0
    assert _ingest(tmp_path / "run2", db).exit_code == 0
    assert [(e[4], e[5], e[8][1][1]) for e in _story(db) if e[4] == "action"] == [
        ("action", "l1", str(tmp_path / "run1" / "hosts" / "gpu-0000" / "collected.json")),
        ("action", "l1", str(rec2)),
    ]


def test_an_unusable_registry_stops_before_judging(tmp_path: Path) -> None:
    write_collection(tmp_path / "run1", 1)
    bad = tmp_path / "not-a-db"
    bad.write_bytes(b"this is not sqlite" * 100)
    res = _ingest(tmp_path / "run1", bad)
    assert (res.exit_code, res.stdout) == (2, "")
    assert res.stderr == f"Error: registry sqlite:///{bad}: corrupted: not an SQLite database\n"
