"""Committed JSON Schemas match the models, and validate what the tool really emits."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from schemas.registry import DOCUMENTS, render

ROOT = Path(__file__).parents[3]
COMMITTED = ROOT / "schemas" / "json"


@pytest.mark.parametrize("kind", sorted(DOCUMENTS))
def test_committed_schema_matches_model(kind: str) -> None:
    path = COMMITTED / f"{kind}.schema.json"
    assert path.is_file(), f"run `diagctl schema export schemas/json` ({path} missing)"
    assert path.read_text() == render(kind), (
        f"{path} drifted: run `diagctl schema export schemas/json`"
    )


def test_no_stale_schema_files() -> None:
    assert {p.name for p in COMMITTED.glob("*.schema.json")} == {
        f"{k}.schema.json" for k in DOCUMENTS
    }


def test_exported_schemas_validate_real_local_envelopes(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "diag.cli", "schema", "export", str(tmp_path / "s")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert len(out.stdout.split()) == len(DOCUMENTS)
    run = subprocess.run(
        [sys.executable, "-m", "diag.cli", "health", "--local", "--out", str(tmp_path / "run")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode in (0, 3), run.stderr
    lines = run.stdout.splitlines()
    assert len(lines) == 1
    schema = json.loads((tmp_path / "s" / "health.l1.schema.json").read_text())
    envelope = json.loads(lines[0])
    jsonschema.Draft202012Validator(schema).validate(envelope)
    generic = json.loads((tmp_path / "s" / "envelope.schema.json").read_text())
    jsonschema.Draft202012Validator(generic).validate(envelope)
    summary = json.loads((tmp_path / "s" / "run.summary.schema.json").read_text())
    jsonschema.Draft202012Validator(summary).validate(
        json.loads((tmp_path / "run" / "run.json").read_text())
    )
    payload = json.loads((tmp_path / "s" / "payload.output.schema.json").read_text())
    raw = next((tmp_path / "run").glob("hosts/*/raw/payload.json"))
    jsonschema.Draft202012Validator(payload).validate(json.loads(raw.read_text()))


def test_schema_rejects_an_envelope_with_unknown_fields(tmp_path: Path) -> None:
    schema = json.loads(render("envelope"))
    bad = {
        "schema_version": "1.0",
        "kind": "x",
        "tool_version": "1",
        "host": {"name": "h"},
        "ok": True,
        "status": "pass",
        "collected_at": "t",
        "duration_ms": 1,
        "surprise": 1,
    }
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(bad)
