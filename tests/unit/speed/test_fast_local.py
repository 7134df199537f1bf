"""The `health --local` fast path (diag/fastpath/) prints the model path's bytes.

Every recorded payload document in tests/fixtures and every check fixture case (its captures
as one payload) goes through both paths with the clock frozen; the lines must be identical and
the fast one must validate against schemas/json. A document the fast path cannot reproduce
raises Unusual, and then the model path is what runs (tested below too).
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from diag.fastpath import health as fast
from diag.fastpath.argv import LocalHealth, parse
from diag.fastpath.run import model_line
from diag.transport.base import CommandResult, Target
from tests.support.check_cases import cases, load_case

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
PAYLOADS = sorted(FIXTURES.rglob("payload*.json"))
SCHEMA = json.loads((Path("schemas/json") / "health.l1.schema.json").read_text())
TARGET = Target(name="gpu-01")
STARTED = "2025-01-01T00:00:00.000Z"


def _case_payload(case: Path) -> bytes:
    caps, _ctx, _pol = load_case(case)
    doc = {
        "payload_version": 1,
        "duration_ms": 5,
        "captures": {k: c.model_dump() for k, c in caps.items()},
    }
    return json.dumps(doc).encode()


def _one_line(path: Path) -> bytes:
    """The fixture as the payload prints it: one line (the files are indented)."""
    try:
        return json.dumps(json.loads(path.read_bytes())).encode()
    except ValueError:  # a garbage fixture stays as it is
        return path.read_bytes()


INPUTS = [(p.relative_to(FIXTURES).as_posix(), _one_line(p)) for p in PAYLOADS]
INPUTS += [(c.relative_to(FIXTURES).as_posix(), _case_payload(c)) for c in cases()]


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("time.monotonic", lambda: 100.0)
    monkeypatch.setattr("diag.hostcheck.utc_now", lambda: STARTED)


@pytest.mark.parametrize("name,stdout", INPUTS, ids=[n for n, _ in INPUTS])
def test_fast_envelope_is_the_model_envelope(name: str, stdout: bytes) -> None:
    res = CommandResult(0, stdout=stdout)
    opts = LocalHealth(expect_gpus=None)
    model, statuses = model_line(TARGET, res, opts, STARTED, 100.0)
    try:
        line, status, unknown = fast.envelope(TARGET, res, opts, STARTED, 100.0)
    except fast.Unusual:
        jsonschema.validate(json.loads(model), SCHEMA)  # what runs then (counted below)
        return
    assert line == model
    assert {status} | ({"unknown"} if unknown else set()) == statuses
    jsonschema.validate(json.loads(line), SCHEMA)


def test_most_fixtures_take_the_fast_path() -> None:
    unusual = []
    for name, stdout in INPUTS:
        try:
            fast.envelope(TARGET, CommandResult(0, stdout=stdout), LocalHealth(), "t", 100.0)
        except fast.Unusual as exc:
            unusual.append((name, str(exc)))
    assert len(unusual) <= len(INPUTS) // 4, unusual


@pytest.mark.parametrize(
    "args,tty,expected",
    [
        (["health", "--local"], False, LocalHealth()),
        (["health", "--local"], True, None),  # a terminal gets click's table
        (["health", "--local", "--json"], True, LocalHealth()),
        (["health", "--local", "--timeout", "1"], False, LocalHealth(timeout=1.0)),
        (["health", "--local", "--timeout=0.5"], False, None),  # click says "0.5 is not >= 1"
        (["health", "--local", "--max-bytes", "1024"], False, LocalHealth(max_bytes=1024)),
        (["health", "--local", "--max-bytes", "1023"], False, None),
        (["health", "--local", "--expect-gpus", "0"], False, LocalHealth(expect_gpus=0)),
        (["health", "--local", "--expect-gpus", "-1"], False, None),
        (
            ["health", "--local", "--fail-on", "warn", "--strict"],
            False,
            LocalHealth(fail_on="warn", strict=True),
        ),
        (["health", "--local", "--fail-on", "info"], False, None),
        (["health", "--local", "--help"], False, None),
        (["health", "--local", "--policy", "p.yaml"], False, None),
        (["health", "--local", "--timeout"], False, None),
        (["health", "-H", "a"], False, None),
        (["version"], False, None),
    ],
)
def test_argv(args: list[str], tty: bool, expected: LocalHealth | None, tmp_path: Path) -> None:
    assert parse(args, {"HOME": str(tmp_path)}, tty) == expected


def test_a_config_file_or_variable_means_click(tmp_path: Path) -> None:
    args = ["health", "--local"]
    assert parse(args, {"HOME": str(tmp_path), "DIAGCTL_FORKS": "8"}, False) is None
    (tmp_path / ".config" / "diagctl").mkdir(parents=True)
    (tmp_path / ".config" / "diagctl" / "config.yaml").write_text("{}\n")
    assert parse(args, {"HOME": str(tmp_path)}, False) is None


def test_shipped_policy_json_is_the_yaml(request: pytest.FixtureRequest) -> None:
    yaml_path = Path(fast.POLICY_JSON).with_suffix(".yaml")
    want = json.dumps(yaml.safe_load(yaml_path.read_text()), indent=1) + "\n"  # 1 vs 1.0 too
    if request.config.getoption("--regen"):
        Path(fast.POLICY_JSON).write_text(want)
    assert Path(fast.POLICY_JSON).read_text() == want, "rerun this test with --regen"


def test_shipped_policy_read_as_json_equals_the_validated_one() -> None:
    from diag.policy import default_policy

    validated = {k: c.model_dump() for k, c in default_policy().checks.items()}
    assert fast.default_rules().keys() == validated.keys()
    for cid in fast.default_rules():
        enabled, rules = fast.rules_for(cid, "")
        assert (enabled, dict(rules.thresholds), rules.source) == (
            validated[cid]["enabled"],
            validated[cid]["thresholds"],
            validated[cid]["source"],
        )


def test_schema_version_is_the_models() -> None:
    from diag.fastpath.doc import SCHEMA_VERSION as FAST_VERSION
    from schemas.envelope import SCHEMA_VERSION

    assert FAST_VERSION == SCHEMA_VERSION
