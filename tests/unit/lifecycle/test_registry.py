"""The registry on a real SQLite file: assets, append-only history, optimistic moves, the
migration head, and a locked, read-only or corrupted file (one line, nothing written)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from lifecycle.phases import Decision, Phase, Verdict
from lifecycle.registry import engine as eng
from lifecycle.registry.errors import ConflictError, RegistryError, UnknownAsset
from lifecycle.registry.store import AssetInfo, Registry, open_registry
from schemas.lifecycle import EvidencePointer, Inventory

MOVE = Decision(Verdict.MOVE)


def url(tmp_path: Path, name: str = "r.db") -> str:
    return f"sqlite:///{tmp_path / name}"


@pytest.fixture
def reg(tmp_path: Path) -> Registry:
    r = open_registry(url(tmp_path), wait_s=0.5)
    r.register(AssetInfo("SN1", "gpu-1", "h100", ["SN1"], Inventory(gpu_count=8)), "op@j pid 1")
    return r


def test_migration_head_is_the_scripts_head_and_reopening_is_a_no_op(tmp_path: Path) -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(eng.MIGRATIONS))
    assert ScriptDirectory.from_config(cfg).get_current_head() == eng.HEAD
    assert eng.KNOWN[-1] == eng.HEAD
    r = open_registry(url(tmp_path))
    assert eng.migrate(r.engine, r.url) == eng.HEAD  # already there: nothing run
    with sqlite3.connect(tmp_path / "r.db") as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        tables = {n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == {"alembic_version", "assets", "history"}


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    r = open_registry(url(tmp_path))
    with sqlite3.connect(tmp_path / "r.db") as db:
        db.execute("UPDATE alembic_version SET version_num = 'r9999'")
    with pytest.raises(RegistryError) as err:
        open_registry(r.url)
    assert str(err.value) == (
        f"registry {r.url}: schema revision r9999 is newer than this "
        "diagctl knows (r0001); upgrade diagctl"
    )


def test_register_then_refresh_keeps_phase_and_bumps_version(reg: Registry) -> None:
    a = reg.get("gpu-1")
    assert (a.host_id, a.phase, a.version, a.serials, a.inventory.gpu_count) == (
        "SN1",
        "receive",
        1,
        ["SN1"],
        8,
    )
    reg.move("SN1", Phase.PROVISION, 1, MOVE, "op@j pid 1")
    b = reg.register(AssetInfo("SN1", "gpu-1b", "h100", ["SN1"], Inventory(gpu_count=7)), "x")
    assert (b.name, b.phase, b.version, b.inventory.gpu_count) == ("gpu-1b", "provision", 3, 7)
    assert b.created_at == a.created_at


def test_history_is_append_only_and_in_order(reg: Registry) -> None:
    ptr = EvidencePointer(kind="bundle", path="/b/x.tar.gz", sha256="ab" * 32)
    reg.record("SN1", "l1", "fail", "op@j pid 2", "gpu.memory fail", [ptr])
    reg.move("SN1", Phase.RETIRE, 1, Decision(Verdict.FORCED, ("x",)), "op@j pid 3", "RMA")
    rows = [e.model_dump(exclude={"at"}) for e in reg.history("SN1")]
    assert rows == [
        {
            "id": 1,
            "host_id": "SN1",
            "entry": "transition",
            "who": "op@j pid 1",
            "from_phase": None,
            "to_phase": "receive",
            "action": "",
            "outcome": "pass",
            "reason": "registered",
            "forced": False,
            "missing": [],
            "evidence": [],
        },
        {
            "id": 2,
            "host_id": "SN1",
            "entry": "action",
            "who": "op@j pid 2",
            "from_phase": None,
            "to_phase": None,
            "action": "l1",
            "outcome": "fail",
            "reason": "gpu.memory fail",
            "forced": False,
            "missing": [],
            "evidence": [ptr.model_dump()],
        },
        {
            "id": 3,
            "host_id": "SN1",
            "entry": "transition",
            "who": "op@j pid 3",
            "from_phase": "receive",
            "to_phase": "retire",
            "action": "",
            "outcome": "pass",
            "reason": "RMA",
            "forced": True,
            "missing": ["x"],
            "evidence": [],
        },
    ]


def test_a_stale_version_is_a_conflict_and_writes_nothing(reg: Registry) -> None:
    reg.move("SN1", Phase.PROVISION, 1, MOVE, "a")
    with pytest.raises(ConflictError) as err:
        reg.move("SN1", Phase.RETIRE, 1, MOVE, "b")
    assert str(err.value) == (
        "asset SN1: changed by another writer (read version 1, now 2 in "
        "phase provision); nothing written: re-read and retry"
    )
    assert reg.get("SN1").phase == "provision" and len(reg.history("SN1")) == 2


def test_a_refused_decision_is_never_recorded(reg: Registry) -> None:
    with pytest.raises(RegistryError):
        reg.move("SN1", Phase.PROVISION, 1, Decision(Verdict.BLOCKED, ("x",)), "a")
    assert len(reg.history("SN1")) == 1


def test_unknown_and_ambiguous_names(reg: Registry) -> None:
    reg.register(AssetInfo("SN2", "gpu-1"), "x")
    with pytest.raises(
        UnknownAsset, match=r"^'gpu-1' names 2 assets \(SN1, SN2\): give the host_id$"
    ):
        reg.get("gpu-1")
    assert reg.get("SN2").host_id == "SN2"
    with pytest.raises(
        UnknownAsset, match=r"^no asset with host_id or name 'nope' in the registry$"
    ):
        reg.history("nope")
    with pytest.raises(UnknownAsset):
        reg.record("nope", "l1", "pass", "x")
    assert [a.host_id for a in reg.assets()] == ["SN1", "SN2"]
    assert [a.host_id for a in reg.assets(Phase.MONITOR)] == []


def test_locked_registry_is_one_line_and_nothing_is_written(reg: Registry, tmp_path: Path) -> None:
    holder = sqlite3.connect(tmp_path / "r.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(RegistryError) as err:
            reg.move("SN1", Phase.PROVISION, 1, MOVE, "a")
        assert (
            str(err.value) == f"registry {reg.url}: locked by another process (gave up after 0.5 s)"
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert reg.get("SN1").version == 1 and len(reg.history("SN1")) == 1


def test_read_only_registry_is_one_line_and_nothing_is_written(
    reg: Registry, tmp_path: Path
) -> None:
    ro = open_registry(f"sqlite:///file:{tmp_path / 'r.db'}?mode=ro&uri=true", wait_s=0.5)
    assert ro.get("SN1").phase == "receive"  # reading works
    with pytest.raises(RegistryError) as err:
        ro.move("SN1", Phase.PROVISION, 1, MOVE, "a")
    assert str(err.value).endswith(": read-only: cannot write to it")
    assert reg.get("SN1").version == 1 and len(reg.history("SN1")) == 1


@pytest.mark.parametrize(
    "content,said",
    [
        (b"not a database at all" * 100, "corrupted: not an SQLite database"),
        (b"SQLite format 3\x00" + b"\xff" * 4000, "corrupted: not an SQLite database"),
    ],
)
def test_corrupted_registry_is_one_line(tmp_path: Path, content: bytes, said: str) -> None:
    (tmp_path / "bad.db").write_bytes(content)
    with pytest.raises(RegistryError) as err:
        open_registry(url(tmp_path, "bad.db"))
    assert str(err.value) == f"registry {url(tmp_path, 'bad.db')}: {said}"
    assert (tmp_path / "bad.db").read_bytes() == content


def test_resolve_and_shown() -> None:
    assert eng.resolve(None, Path("/st/diagctl")) == "sqlite:////st/diagctl/registry.db"
    assert eng.resolve("/var/r.db", Path("/x")) == "sqlite:////var/r.db"
    assert eng.resolve("postgresql+psycopg://u:pw@db/x", Path("/x")).endswith("@db/x")
    assert eng.shown("postgresql+psycopg://u:s3cret@db/x") == "postgresql+psycopg://***@db/x"
    assert eng.shown("sqlite:////a/b.db") == "sqlite:////a/b.db"


def test_unusable_url_is_one_line() -> None:
    with pytest.raises(RegistryError, match=r"^registry nosuchdb://x: unusable URL: "):
        open_registry("nosuchdb://x")
