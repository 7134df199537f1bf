"""`diagctl lifecycle status|history|move|migrate` through the CLI on a real SQLite file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from diag.cli.main import cli
from lifecycle.registry.store import AssetInfo, Registry, open_registry
from schemas.lifecycle import AssetEnvelope, HistoryEnvelope


@pytest.fixture
def db(tmp_path: Path) -> Path:
    p = tmp_path / "r.db"
    reg = open_registry(f"sqlite:///{p}")
    reg.register(AssetInfo("SN1", "gpu-1", "h100"), "op@j pid 1")
    reg.register(AssetInfo("SN2", "gpu-2", "a100"), "op@j pid 1")
    return p


def run(*args: str, db: Path | None = None, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    argv = ["lifecycle", *args] + (["--registry", str(db)] if db else [])
    return CliRunner().invoke(cli, argv, env=env)


def test_status_jsonl_envelopes_and_the_phase_filter(db: Path) -> None:
    res = run("status", "--json", db=db)
    assert res.exit_code == 0, res.output
    envs = [AssetEnvelope.model_validate_json(line) for line in res.output.splitlines()]
    assert [(e.kind, e.host.name, e.host.host_id, e.data.phase, e.status.value) for e in envs] == [
        ("lifecycle.asset", "gpu-1", "SN1", "receive", "pass"),
        ("lifecycle.asset", "gpu-2", "SN2", "receive", "pass"),
    ]
    assert envs[0].findings[0].message == "phase receive (version 1)"
    assert run("status", "--json", "--phase", "monitor", db=db).output == ""


def test_status_table_and_inventory_filter(db: Path, tmp_path: Path) -> None:
    inv = tmp_path / "inv.yaml"
    inv.write_text("hosts:\n  gpu-2:\n")
    res = run("status", "--human", "-i", str(inv), db=db)
    updated = open_registry(f"sqlite:///{db}").get("SN2").updated_at
    assert res.output == f"gpu-2                    receive    v1    a100       {updated}\n"


def test_move_gate_refused_illegal_no_reason_then_forced(db: Path) -> None:
    res = run("move", "gpu-1", "--to", "provision", db=db)
    assert res.exit_code == 2
    assert res.output == (
        "Error: gpu-1: gate receive -> provision refused: identity: not "
        "captured; manifest match: not captured; L1 health: not captured "
        "(record the evidence, or --force --reason TEXT)\n"
    )
    res = run("move", "gpu-1", "--to", "monitor", "--force", "--reason", "x", db=db)
    assert (res.exit_code, res.output) == (
        2,
        "Error: gpu-1: no transition receive -> monitor (from receive: provision, retire)\n",
    )
    res = run("move", "gpu-1", "--to", "provision", "--force", db=db)
    assert (res.exit_code, res.output) == (
        2,
        "Error: gpu-1: --force needs --reason TEXT (recorded with who and when)\n",
    )
    reg = open_registry(f"sqlite:///{db}")
    assert reg.get("SN1").version == 1 and len(reg.history("SN1")) == 1  # nothing written
    res = run(
        "move", "gpu-1", "--to", "provision", "--force", "--reason", "vendor swap", "--json", db=db
    )
    assert res.exit_code == 0, res.output
    env = HistoryEnvelope.model_validate_json(res.output)
    assert (
        env.kind,
        env.status.value,
        env.data.from_phase,
        env.data.to_phase,
        env.data.forced,
        env.data.reason,
    ) == ("lifecycle.transition", "warn", "receive", "provision", True, "vendor swap")
    assert env.data.missing == [
        "identity: not captured",
        "manifest match: not captured",
        "L1 health: not captured",
    ]
    assert env.findings[0].message == "receive -> provision (forced: vendor swap)"


def test_move_with_evidence_files_records_their_hashes(db: Path, tmp_path: Path) -> None:
    import hashlib

    bundle = tmp_path / "gpu-1.tar.gz"
    bundle.write_bytes(b"bundle bytes")
    res = run(
        "move",
        "SN1",
        "--to",
        "retire",
        "--reason",
        "DOA",
        "--evidence",
        str(bundle),
        "--json",
        db=db,
    )
    assert res.exit_code == 0, res.output
    ev = json.loads(res.output)["data"]["evidence"]
    assert ev == [
        {
            "kind": "bundle",
            "path": str(bundle.resolve()),
            "sha256": hashlib.sha256(b"bundle bytes").hexdigest(),
            "note": "",
        }
    ]


def test_gate_reads_the_evidence_recorded_in_the_current_phase(db: Path) -> None:
    reg: Registry = open_registry(f"sqlite:///{db}")
    for step in ("identity", "manifest", "l1"):
        reg.record("SN1", step, "pass", "op")
    assert run("move", "gpu-1", "--to", "provision", "--json", db=db).exit_code == 0
    # l1 passed in receive; it does not carry into provision's gate
    res = run("move", "gpu-1", "--to", "monitor", db=db)
    assert res.output.startswith(
        "Error: gpu-1: gate provision -> monitor refused: baseline "
        "conformance: not captured; L1 health: not captured"
    )


def test_history_table_and_envelopes(db: Path) -> None:
    run("move", "gpu-2", "--to", "retire", "--reason", "DOA", db=db)
    lines = run("history", "gpu-2", "--human", db=db).output.splitlines()
    assert [line.split("  ", 1)[1] for line in lines] == [
        "(new) -> receive (registered)  [op@j pid 1]",
        f"receive -> retire (DOA)  [{lines[1].split('[')[1][:-1]}]",
    ]
    kinds = [
        json.loads(x)["kind"] for x in run("history", "SN2", "--json", db=db).output.splitlines()
    ]
    assert kinds == ["lifecycle.transition", "lifecycle.transition"]
    res = run("history", "nope", db=db)
    assert (res.exit_code, res.output) == (
        2,
        "Error: no asset with host_id or name 'nope' in the registry\n",
    )


def test_registry_from_the_environment_and_migrate(tmp_path: Path) -> None:
    p = tmp_path / "sub" / "env.db"
    res = run("migrate", env={"DIAGCTL_REGISTRY": str(p)})
    assert (res.exit_code, res.output) == (0, f"registry sqlite:///{p}: schema at revision r0001\n")
    assert p.exists()
    res = run("status", "--json", env={"XDG_STATE_HOME": str(tmp_path / "st")})
    assert res.exit_code == 0 and (tmp_path / "st" / "diagctl" / "registry.db").exists()


def test_corrupted_registry_through_the_cli(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"garbage" * 500)
    res = run("status", db=bad)
    assert (res.exit_code, res.output) == (
        2,
        f"Error: registry sqlite:///{bad}: corrupted: not an SQLite database\n",
    )
