"""The one input of every exporter: JSONL envelopes and `--out` directories, bad lines counted."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from diag.artifacts import host_dir
from exporters.source import MAX_PROBLEMS, SourceStats, envelopes
from tests.support.envelopes import envelope

GOOD = envelope(host={"name": "gpu-01"}).model_dump_json()


def read(text: bytes) -> tuple[list[str], SourceStats]:
    stats = SourceStats()
    names = [e.host.name for e in envelopes([], io.BytesIO(text), stats)]
    return names, stats


@pytest.mark.parametrize(
    "line,problem",
    [
        (
            b"{not json",
            "<stdin>:1: not JSON (Expecting property name enclosed in double quotes: "
            "line 1 column 2 (char 1))",
        ),
        (b"[1, 2]", "<stdin>:1: not an envelope: a JSON list"),
        (b'{"kind": "health.l1"}', "<stdin>:1: not an envelope: tool_version: Field required"),
        (b"\xff\xfe\x1b[31m", "<stdin>:1: not JSON (Expecting value: line 1 column 1 (char 0))"),
        (
            b"[" * 100_000,
            "<stdin>:1: not JSON (maximum recursion depth exceeded while decoding "
            "a JSON array from a unicode stri)",
        ),
    ],
)
def test_a_bad_line_is_skipped_counted_and_named(line: bytes, problem: str) -> None:
    names, stats = read(GOOD.encode() + b"\n" + line + b"\n\n" + GOOD.encode() + b"\n")
    assert names == ["gpu-01", "gpu-01"]
    assert (stats.read, stats.skipped) == (2, 1)
    assert stats.problems == [problem.replace("<stdin>:1", "<stdin>:2")]
    assert stats.summary() == f"skipped 1 of 3 inputs (first: {stats.problems[0]})"


def test_control_bytes_in_a_reason_never_reach_the_terminal_raw() -> None:
    _, stats = read(b'{"kind": "\x1b]0;owned\x07", "x": 1}\n')
    assert "\x1b" not in stats.problems[0] and "\x07" not in stats.problems[0]


def test_an_oversized_line_is_refused_before_parsing() -> None:
    from exporters.source import MAX_LINE_BYTES

    _, stats = read(b"x" * (MAX_LINE_BYTES + 1) + b"\n")
    assert stats.problems == [
        f"<stdin>:1: {MAX_LINE_BYTES + 2} bytes, over the {MAX_LINE_BYTES}-byte limit"
    ]


def test_only_the_first_problems_are_kept_but_all_are_counted() -> None:
    _, stats = read(b"x\n" * (MAX_PROBLEMS + 5))
    assert stats.skipped == MAX_PROBLEMS + 5 and len(stats.problems) == MAX_PROBLEMS


def test_a_clean_read_has_no_summary() -> None:
    _, stats = read(GOOD.encode() + b"\n")
    assert (stats.read, stats.skipped, stats.summary()) == (1, 0, "")


def test_run_directories_and_files_are_read_in_order(tmp_path: Path) -> None:
    run = tmp_path / "run"
    for name in ("b/x", "a"):
        d = host_dir(run, name)
        d.mkdir(parents=True)
        (d / "envelope.json").write_text(envelope(host={"name": name}).model_dump_json())
    jsonl = tmp_path / "more.jsonl"
    jsonl.write_text(GOOD + "\n")
    stats = SourceStats()
    names = [e.host.name for e in envelopes([run, jsonl], io.BytesIO(b"ignored"), stats)]
    assert names == ["a", "b/x", "gpu-01"]
    assert stats.skipped == 0


def test_a_directory_without_hosts_is_a_counted_problem(tmp_path: Path) -> None:
    stats = SourceStats()
    assert list(envelopes([tmp_path], None, stats)) == []
    assert stats.problems == [
        f"{tmp_path}: no hosts/<host>/envelope.json under it (not a --out directory?)"
    ]


def test_export_group_is_wired_into_the_cli() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "diag.cli", "export", "--help"], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert "Envelopes (stdin, or --from run directories)" in out.stdout
    assert json.loads(GOOD)["host"]["name"] == "gpu-01"
