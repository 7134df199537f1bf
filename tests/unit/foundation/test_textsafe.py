"""Terminal escapes from hosts and endpoints never reach a terminal through `--human` or stderr.

The payloads are the real ones: OSC 0 (window title), CSI 2J (clear screen), CSI 8m (hidden
text), an 8-bit C1 CSI, a bare carriage return and U+202E (right-to-left override)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from diag.artifacts import host_dirname
from diag.cli import cli
from diag.cli.options import CliError
from diag.cli.render import emit_round, human, probe_line
from diag.textsafe import safe_text
from probes.round import RoundResult
from schemas.envelope import Envelope, ErrorCode, ErrorInfo, HostRef, Status
from schemas.probe import ProbeData, ProbeEnvelope, Verdict
from tests.support.envelopes import envelope

TITLE = "\x1b]0;pwned\x07"
CLEAR = "\x1b[2J\x1b[H"
HOSTILE = f"{TITLE}{CLEAR}evil\x1b[8mhidden\r\x9b31m\u202egpu"
SHOWN = "\\x1b]0;pwned\\x07\\x1b[2J\\x1b[Hevil\\x1b[8mhidden\\x0d\\x9b31m\\u202egpu"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("gpu-node-1 /mnt/data nvidia-fabricmanager.service", None),  # unchanged
        ("ümlaut — ✓ 漢字", None),  # printable Unicode stays
        ("\x00", "\\x00"),  # C0 first
        ("\x07", "\\x07"),  # BEL ends an OSC
        ("\t", "\\x09"),
        ("\n", "\\x0a"),  # a value cannot start a new table row
        ("\r", "\\x0d"),  # nor overwrite the start of its own
        ("\x1b", "\\x1b"),
        ("\x1f", "\\x1f"),  # C0 last
        (" ", None),  # first printable
        ("~", None),  # last printable ASCII
        ("\x7f", "\\x7f"),  # DEL
        ("\x80", "\\x80"),  # C1 first
        ("\x9b", "\\x9b"),  # 8-bit CSI
        ("\x9d", "\\x9d"),  # 8-bit OSC
        ("\x9f", "\\x9f"),  # C1 last
        ("\xa0", None),  # NBSP: printable
        ("\u061c", "\\u061c"),  # Arabic letter mark
        ("\u200e\u200f", "\\u200e\\u200f"),  # LRM, RLM
        ("\u200d", None),  # zero-width joiner: emoji sequences need it
        ("\u2028\u2029", "\\u2028\\u2029"),  # line / paragraph separator
        ("\u202a\u202e", "\\u202a\\u202e"),  # embeddings and overrides, first and last
        ("\u202f", None),  # narrow NBSP: printable
        ("\u2066\u2069", "\\u2066\\u2069"),  # isolates, first and last
        ("\udcff", "\\udcff"),  # an undecodable byte kept by surrogateescape
        (HOSTILE, SHOWN),
    ],
)
def test_safe_text_boundaries(raw: str, shown: str | None) -> None:
    assert safe_text(raw) == (raw if shown is None else shown)


def _hostile_envelope() -> Envelope:
    return Envelope.model_validate(
        {
            "kind": "health.l1",
            "tool_version": "0",
            "host": HostRef(name=f"gpu{TITLE}-1"),
            "ok": False,
            "status": Status.FAIL,
            "collected_at": "2026-01-01T00:00:00.000Z",
            "duration_ms": 5,
            "findings": [
                {
                    "check_id": "host.systemd_failed",
                    "status": "fail",
                    "severity": "high",
                    "entity": f"x{CLEAR}.service",
                    "message": f"unit failed: {HOSTILE}",
                }
            ],
            "errors": [ErrorInfo(code=ErrorCode.TRANSPORT, message=f"oops{TITLE}", hint="\x1b[8m")],
        }
    )


def test_health_human_renderer_escapes_every_field() -> None:
    out = human(_hostile_envelope())
    assert out.split("\n") == [
        "gpu\\x1b]0;pwned\\x07-1  FAIL  (0 pass, 0 warn, 0 fail, 0 unknown, 0 error; 5 ms)",
        "  FAIL  host.systemd_failed      x\\x1b[2J\\x1b[H.service unit failed: " + SHOWN,
        "  error transport: oops\\x1b]0;pwned\\x07 — \\x1b[8m",
    ]


def test_health_human_through_the_cli_replay(tmp_path: Path) -> None:
    """A recorded hostile host name and error message, replayed and rendered by the real CLI."""
    name = f"evil{TITLE}{CLEAR}"
    hdir = tmp_path / host_dirname(name)
    hdir.mkdir()
    env = {"host": {"name": name}, "errors": [{"code": "timeout", "message": f"m{TITLE}"}]}
    (hdir / "envelope.json").write_text(json.dumps(env))
    res = CliRunner().invoke(cli, ["health", "--replay", str(tmp_path), "--human"])
    assert res.exit_code == 4, res.output
    assert "\x1b" not in res.output and "\x07" not in res.output
    # The duration is the replay's own judging time: 0 ms idle, a few ms on a loaded machine.
    lines = [re.sub(r"; \d+ ms\)$", "; N ms)", line) for line in res.output.splitlines()]
    assert lines == [
        "evil\\x1b]0;pwned\\x07\\x1b[2J\\x1b[H  UNREACHABLE  (0 pass, 0 warn, 0 fail, "
        "0 unknown, 0 error; N ms)",
        "  error timeout: (replayed) m\\x1b]0;pwned\\x07 — host slow or unreachable; "
        "raise --timeout or check the network path",
    ]


def _probe_env(reason: str) -> ProbeEnvelope:
    return envelope(
        ProbeEnvelope,
        kind="probe.result",
        host=HostRef(name="t"),
        status=Status.FAIL,
        data=ProbeData(target=f"t{TITLE}", node="n\r", verdict=Verdict.ZOMBIE, reason=reason),
    )


def test_probe_human_line_escapes_endpoint_text(capsys: pytest.CaptureFixture[str]) -> None:
    env = _probe_env(f"server error: {CLEAR}{TITLE}")
    expected = (
        "t\\x1b]0;pwned\\x07"
        + " " * 10
        + "n\\x0d"
        + " " * 13
        + "ZOMBIE   ttft       - itl       - tok   0 fail 0 pass 0  "
        + "server error: \\x1b[2J\\x1b[H\\x1b]0;pwned\\x07"
    )
    assert probe_line(env) == expected
    emit_round(RoundResult(probes=[env], audits=[]), human=True)
    assert capsys.readouterr().out == expected + "\n"


def test_usage_errors_on_stderr_are_escaped() -> None:
    assert CliError(f"bad {TITLE}").message == "bad \\x1b]0;pwned\\x07"
    assert CliError(f"f: {CLEAR}").message == "f: \\x1b[2J\\x1b[H"


def test_internal_error_message_on_stderr_is_escaped(tmp_path: Path) -> None:
    """A subprocess, so the real stderr bytes are checked: a policy path is echoed back."""
    bad = tmp_path / f"p{TITLE}.yaml"
    bad.write_text("checks: [unclosed\n")
    res = subprocess.run(
        [sys.executable, "-m", "diag.cli", "health", "--local", "--policy", str(bad)],
        capture_output=True,
        timeout=60,
    )
    assert res.returncode == 2
    assert b"\x1b" not in res.stderr and b"\x07" not in res.stderr
    assert b"p\\x1b]0;pwned\\x07.yaml" in res.stderr
