"""The committed JSON Schemas of the probe document kinds match the models."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemas.registry import DOCUMENTS, render

JSON = Path(__file__).parents[3] / "schemas" / "json"


@pytest.mark.parametrize("kind", sorted(k for k in DOCUMENTS if k.startswith("probe.")))
def test_probe_schema_is_current(kind: str) -> None:
    path = JSON / f"{kind}.schema.json"
    assert path.read_text() == render(kind), "run: diagctl schema export schemas/json"
