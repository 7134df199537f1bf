"""The `reset-reason --local` fast path (diag/fastpath/reset*.py) prints the model path's bytes.

Every reset scenario under tests/fixtures/reset (recorded ones included: they share the
layout), every recorded health payload (other captures: mostly `missing` sources) and a few
odd documents go through both paths with the clock frozen; the lines must be identical and
validate against schemas/json. What the fast path cannot reproduce raises Unusual, and then
the model path runs (tested too).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import jsonschema
import pytest

from diag.cli.reset import since_seconds as click_since
from diag.fastpath import reset_judge as fast
from diag.fastpath.doc import Unusual
from diag.fastpath.reset_argv import LocalReset, parse, since_seconds
from diag.reset_reason import ResetOptions
from diag.transport.base import CommandResult, Target
from tests.support.reset_cases import cases, payload_doc

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SCHEMAS = Path(__file__).resolve().parents[3] / "schemas" / "json"
SCHEMA = json.loads((SCHEMAS / "reset_reason.schema.json").read_text())
TARGET = Target(name="gpu-01")
STARTED = "2025-01-01T00:00:00.000Z"

INPUTS = [(f"reset/{c.name}", json.dumps(payload_doc(c)).encode()) for c in cases()]
INPUTS += [
    (p.relative_to(FIXTURES).as_posix(), p.read_bytes().replace(b"\n", b" "))
    for p in sorted(FIXTURES.rglob("payload*.json"))
]
ODD = [
    ("no document", b"motd only\n"),
    ("sh mode", b'{"payload_version":1,"mode":"sh","captures":{}}'),
    ("bad capture", b'{"payload_version":1,"captures":{"facts":{"source":"f","rc":"0"}}}'),
    ("extra key", b'{"payload_version":1,"captures":{},"x":1}'),
    ("not json", b"{nope"),
    ("empty", b'{"payload_version":1}'),
]


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("time.monotonic", lambda: 100.0)
    monkeypatch.setattr("diag.reset_reason.utc_now", lambda: STARTED)
    monkeypatch.setattr("diag.fastpath.reset_judge.utc_now", lambda: STARTED)


def _both(stdout: bytes, opts: LocalReset) -> tuple[bytes | None, bytes]:
    res = CommandResult(0, stdout=stdout)
    model, _statuses = fast.model_line(TARGET, res, opts, 100.0)
    try:
        line, _status, _unknown = fast.envelope(TARGET, res, opts, STARTED, 100.0)
    except Unusual:
        return None, model
    return line, model


@pytest.mark.parametrize("name,stdout", INPUTS + ODD, ids=[n for n, _ in INPUTS + ODD])
def test_fast_envelope_is_the_model_envelope(name: str, stdout: bytes) -> None:
    line, model = _both(stdout, LocalReset())
    jsonschema.validate(json.loads(model), SCHEMA)
    if line is not None:
        assert line == model


@pytest.mark.parametrize(
    "opts",
    [
        LocalReset(since_s=60),
        LocalReset(since_s=366 * 86400, repeat_after=1, unplanned_max=0),
        LocalReset(repeat_after=9, unplanned_max=9, strict=True),
    ],
)
def test_options_reach_both_paths_alike(opts: LocalReset) -> None:
    for _name, stdout in INPUTS[:: max(1, len(INPUTS) // 12)]:
        line, model = _both(stdout, opts)
        assert line in (None, model)


def test_every_reset_fixture_takes_the_fast_path_and_malformed_ones_do_not() -> None:
    fast_ones = [n for n, s in INPUTS if n.startswith("reset/") and _both(s, LocalReset())[0]]
    assert len(fast_ones) == len(cases())
    model_way = [n for n, s in ODD if _both(s, LocalReset())[0] is None]
    assert model_way == ["no document", "bad capture", "extra key", "not json"]


def test_transport_error_and_over_cap_go_the_model_way(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(Unusual):
        fast.envelope(TARGET, CommandResult(None, error="timeout"), LocalReset(), STARTED, 1.0)
    stdout = INPUTS[0][1]
    line, _model = _both(stdout, LocalReset())
    assert line is not None
    monkeypatch.setattr(fast, "MAX_BYTES", len(line) - 1)
    with pytest.raises(Unusual, match="byte cap"):
        fast.envelope(TARGET, CommandResult(0, stdout=stdout), LocalReset(), STARTED, 100.0)


def test_constants_are_the_models() -> None:
    from diag.fastpath.doc import SCHEMA_VERSION as FAST_VERSION
    from schemas.envelope import SCHEMA_VERSION

    assert (SCHEMA_VERSION, ResetOptions().max_bytes) == (FAST_VERSION, fast.MAX_BYTES)


@pytest.mark.parametrize(
    "text", ["1m", "90m", "12h", "7d", "2w", " 7d ", "7 d", "366d", "367d", "53w", "52w",
             "0d", "0m", "-1d", "7x", "", "d", "1.5d", "7D", "٣d", "+7d",
             # no `re` on the fast path: whitespace and digits as \\s and \\d read them
             "\u20037d\u2003", "7\u00a0d", "\t7d\n", "1 2d", "²d", "7dd", "d7", " ", "07d",
             "\u0e57w", "7\x1cd", "7\x85d"],
)  # fmt: skip
def test_since_is_clicks(text: str) -> None:
    try:
        want: int | None = click_since(click.Context(click.Command("x")), None, text)  # type: ignore[arg-type]
    except click.ClickException:
        want = None
    assert since_seconds(text) == want


@pytest.mark.parametrize(
    "args,tty,expected",
    [
        (["reset-reason", "--local"], False, LocalReset()),
        (["reset-reason", "--local"], True, None),  # a terminal gets click's table
        (["reset-reason", "--local", "--json"], True, LocalReset()),
        (["reset-reason", "--json", "--local", "--strict"], True, LocalReset(strict=True)),
        (["reset-reason", "--local", "--since", "12h"], False, LocalReset(since_s=43200)),
        (["reset-reason", "--local", "--since=0d"], False, None),
        (["reset-reason", "--local", "--since"], False, None),
        (["reset-reason", "--local", "--timeout", "2"], False, LocalReset(timeout=2.0)),
        (["reset-reason", "--local", "--timeout=1.99"], False, None),
        (["reset-reason", "--local", "--timeout", "inf"], False, None),
        (["reset-reason", "--local", "--repeat-after", "1"], False, LocalReset(repeat_after=1)),
        (["reset-reason", "--local", "--repeat-after", "0"], False, None),
        (["reset-reason", "--local", "--unplanned-max=0"], False, LocalReset(unplanned_max=0)),
        (["reset-reason", "--local", "--unplanned-max", "-1"], False, None),
        (["reset-reason", "--local", "--unplanned-max", "x"], False, None),
        (["reset-reason", "--local", "--out", "d"], False, None),
        (["reset-reason", "--local", "--human"], False, None),
        (["reset-reason", "--local", "-v"], False, None),
        (["reset-reason", "--local", "--help"], False, None),
        (["reset-reason", "-H", "h1"], False, None),
        (["reset-reason"], False, None),
        (["health", "--local"], False, None),
    ],
)
def test_argv(args: list[str], tty: bool, expected: LocalReset | None, tmp_path: Path) -> None:
    assert parse(args, {"HOME": str(tmp_path)}, tty) == expected


def test_a_config_file_or_variable_means_click(tmp_path: Path) -> None:
    args = ["reset-reason", "--local", "--json"]
    assert parse(args, {"HOME": str(tmp_path), "DIAGCTL_TIMEOUT": "9"}, False) is None
    (tmp_path / ".config" / "diagctl").mkdir(parents=True)
    (tmp_path / ".config" / "diagctl" / "config.yaml").write_text("{}\n")
    assert parse(args, {"HOME": str(tmp_path)}, False) is None


def test_the_cli_prints_the_same_envelope_on_both_paths(tmp_path: Path) -> None:
    """The console entry on this machine, fast (no config) and through click (a DIAGCTL_
    file named sends it there); only the clock-dependent fields may differ."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIAGCTL_")}
    env |= {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "none")}
    argv = [sys.executable, "-c", "from diag.cli.entry import main; main()"]
    argv += ["reset-reason", "--local", "--json", "--since", "2w"]
    (tmp_path / "empty.yaml").write_text("")
    docs = []
    for extra in ({}, {"DIAGCTL_CONFIG": str(tmp_path / "empty.yaml")}):
        res = subprocess.run(argv, capture_output=True, timeout=60, env=env | extra, check=False)
        assert res.returncode in (0, 3), res.stderr
        doc = json.loads(res.stdout)
        for key in ("collected_at", "duration_ms"):
            doc.pop(key)
        doc["data"].pop("payload_ms")
        docs.append(doc)
    assert docs[0] == docs[1]
    assert docs[0]["data"]["since_s"] == 14 * 86400
