"""The lifecycle envelopes of maintain and incident as SIEM events: whole ECS output pinned in
a golden file (`--regen` rewrites it), every event valid against the ECS event JSON Schema, and
a secret in an incident reason masked before it reaches the registry or the event."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from schemas.registry import schema_of

HERE = Path(__file__).parents[2]
INPUT = HERE / "fixtures" / "lifecycle" / "siem_input.jsonl"
GOLDEN = HERE / "golden" / "siem" / "lifecycle"


def export(fmt: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "diag.cli", "export", "siem", "--format", fmt, "--from", str(INPUT)],
        capture_output=True, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize("fmt", ["ecs", "ocsf", "syslog"])
def test_lifecycle_events_match_the_golden_file(fmt: str, request: pytest.FixtureRequest) -> None:
    out = export(fmt)
    assert (out.returncode, out.stderr) == (0, b"")
    golden = GOLDEN / f"{fmt}.txt"
    if request.config.getoption("--regen"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(out.stdout)
    assert out.stdout.decode() == golden.read_text()


def test_lifecycle_ecs_events_validate() -> None:
    schema = schema_of("siem.ecs")
    docs = [json.loads(x) for x in export("ecs").stdout.splitlines()]
    assert [d["event"]["action"] for d in docs] == [
        "incident_open", "none", "incident_close", "maintain"
    ]  # fmt: skip
    for doc in docs:
        jsonschema.validate(doc, schema)


def test_incident_reason_secrets_are_masked_in_the_registry(tmp_path: Path) -> None:
    from lifecycle.incident import open_incident
    from lifecycle.incident_evidence import Collected
    from lifecycle.phases import Decision, Phase, Verdict
    from lifecycle.registry.store import AssetInfo, open_registry

    reg = open_registry(f"sqlite:///{tmp_path / 'r.db'}")
    a = reg.register(AssetInfo("SN1", "gpu-a-01"), "t")
    forced = Decision(Verdict.FORCED, ("set-up",))
    reg.move("SN1", Phase.PROVISION, a.version, forced, "t", "s")
    reg.move("SN1", Phase.MONITOR, a.version + 1, forced, "t", "s")
    env = open_incident(reg, "gpu-a-01", "dump at https://u:hunter2@x/ token=abc", Collected(), "t")
    assert env.data.reason == "dump at https://***@x/ token=***"
    assert [e.reason for e in reg.history("SN1")][-2:] == [
        "dump at https://***@x/ token=***",
        "incident: dump at https://***@x/ token=***",
    ]
    assert env.data.phase == "incident"
