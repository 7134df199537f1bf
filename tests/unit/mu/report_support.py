"""Running `mu report` in-process and comparing its whole output with golden files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lifecycle.accounting import calibration
from lifecycle.accounting.report import ReportOptions, run
from lifecycle.accounting.reservations import load_reservations
from lifecycle.accounting.usage import IngestOptions

FIXTURES = Path(__file__).parents[2] / "fixtures" / "mu"
GOLDEN = FIXTURES / "golden"


def report(
    *usage: Path,
    by: tuple[str, ...] = ("tenant",),
    bucket: str | None = None,
    reservations: bool = False,
    **ingest: Any,
) -> dict[str, Any]:
    """The envelope as JSON, minus the two fields that change run to run."""
    cal = calibration.load(FIXTURES / "calibration.yaml")
    opts = ReportOptions(
        usage=usage,
        calibration_name="calibration.yaml",
        by=by,
        bucket=bucket,
        ingest=IngestOptions(**ingest),
        reservations=load_reservations(FIXTURES / "reservations.yaml") if reservations else None,
    )
    doc = run(cal, opts).model_dump(mode="json")
    for key in ("collected_at", "duration_ms", "tool_version"):
        doc.pop(key)
    doc["data"]["sources"] = [Path(s).name for s in doc["data"]["sources"]]
    return doc


def check_golden(request: pytest.FixtureRequest, name: str, got: dict[str, Any]) -> None:
    """Compare with golden/<name>.json; `pytest --regen` rewrites it (review the diff)."""
    path = GOLDEN / f"{name}.json"
    text = json.dumps(got, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if request.config.getoption("--regen") or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert json.loads(path.read_text()) == got
