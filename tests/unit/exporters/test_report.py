"""`diagctl report --html`: what the page shows (the whole view), escaping of host-controlled
text, no reference that could load anything, and output-path refusals. The page in a real
headless Chromium: tests/integration/exporters/test_report_chromium.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from diag.cli.main import cli
from exporters.report.html import render
from exporters.report.view import Event, GpuAction, ProbeRow, ReportView, build, sparkline
from tests.unit.exporters.cmdb_inputs import jsonl
from tests.unit.exporters.report_inputs import HOSTILE, UUID, run


def test_view_of_a_run() -> None:
    assert build(run()) == ReportView(
        checks=["gpu.memory", "gpu.xid", "host.clock_sync"],
        heat={
            "gpu-node-1": {"gpu.memory": "fail", "host.clock_sync": "warn", "gpu.xid": "pass"},
            "gpu-node-2": {"gpu.memory": "pass", "host.clock_sync": "pass"},
            HOSTILE: {"gpu.xid": "fail"},
        },
        host_status={"gpu-node-1": "fail", "gpu-node-2": "pass", HOSTILE: "fail"},
        gpu_actions=[
            GpuAction("gpu-node-1", "gpu.memory", UUID, "reset", "gpu.memory fail"),
            GpuAction(HOSTILE, "gpu.xid", HOSTILE, "isolate", "gpu.xid fail"),
        ],
        probes=[ProbeRow("llama-1", "zombie", "2026-11-30T01:10:00Z", [180.0, 2400.0])],
        resets=[
            Event("2026-01-01T00:00:00Z", "gpu-node-2", "unknown"),
            Event("2026-11-30T00:30:00Z", "gpu-node-1", f"watchdog {HOSTILE}"),
        ],
        headroom=[Event("2026-01-01T00:00:00Z", "gpu-node-1", "25%")],
        counts={"fail": 2, "pass": 1},
    )


@pytest.mark.parametrize(
    ("values", "points"),
    [
        ([], ""),
        ([5.0], "0.0,1.0"),
        ([0.0, 10.0], "0.0,27.0 160.0,1.0"),
        ([10.0, 5.0, 0.0], "0.0,1.0 80.0,14.0 160.0,27.0"),
        ([0.0, 0.0], "0.0,27.0 160.0,27.0"),
    ],
)
def test_sparkline_points(values: list[float], points: str) -> None:
    assert sparkline(values) == points


def test_hostile_text_is_escaped_and_made_visible() -> None:
    page = render(run(), "<b>run</b>", "now")
    assert "<img" not in page and "<b>" not in page and "\x1b" not in page and "\x07" not in page
    assert "&lt;img src=&#34;http://127.0.0.1:9/leak&#34;&gt;\\x1b]8;;x\\x07" in page
    assert "<title>diagctl report: &lt;b&gt;run&lt;/b&gt;</title>" in page


def test_page_references_nothing_outside_itself() -> None:
    page = render(run(), "run", "now")
    assert re.findall(r"""(?:src|href)\s*=\s*["']?[a-z]""", page, re.I) == []
    assert "url(" not in page and "<script" not in page and "@import" not in page
    assert '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; ' in page


def test_cli_writes_the_page_atomically(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    res = CliRunner().invoke(cli, ["report", "--html", "--out", str(out)], input=jsonl(run()))
    assert (res.exit_code, res.stdout, res.stderr) == (0, "", "")
    assert out.read_text().startswith("<!DOCTYPE html>") and "gpu-node-2" in out.read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]


def test_cli_refuses_a_directory_as_out_before_reading(tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["report", "--html", "--out", str(tmp_path)], input="x")
    assert (res.exit_code, res.stderr) == (
        2,
        f"Error: --out {tmp_path}: is a directory; name the HTML file\n",
    )


def test_cli_needs_html() -> None:
    res = CliRunner().invoke(cli, ["report"], input="")
    assert res.exit_code == 2 and "Missing option '--html'" in res.stderr


def test_bad_lines_are_counted_and_the_page_still_written() -> None:
    res = CliRunner().invoke(cli, ["report", "--html"], input="[]\n" + jsonl(run()))
    assert res.exit_code == 1 and "gpu-node-2" in res.stdout
    first = "<stdin>:1: not an envelope: a JSON list"
    assert res.stderr == f"diagctl: export: skipped 1 of 10 inputs (first: {first})\n"
