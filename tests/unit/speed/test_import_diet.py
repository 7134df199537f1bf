"""What the fifth round's import diet relies on: the replacements give the same values and
the same failures as what they replaced (the byte-identity tests in test_fast_local.py and
test_fast_reset.py cover the envelopes themselves)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from diag.checks.gpu.view import gpu_view
from diag.transport.local import local_name
from schemas.capture import Capture


def test_local_name_is_socket_gethostname() -> None:
    assert local_name() == socket.gethostname()


def test_parse_error_is_a_syntax_error() -> None:
    """gpu_view catches SyntaxError so that it need not import xml.etree for ParseError."""
    assert issubclass(ET.ParseError, SyntaxError)


@pytest.mark.parametrize(
    "stdout,problem",
    [
        (
            "<nvidia_smi_log><gpu id=",
            "smi_xml: unreadable output (unclosed token: line 1, column 16)",
        ),
        ("<html/>", "smi_xml: unreadable output (not an nvidia-smi -q -x document (root <html>))"),
    ],
)
def test_unreadable_smi_xml_is_a_problem_not_a_crash(stdout: str, problem: str) -> None:
    cap = Capture(source="nvidia-smi -q -x", rc=0, stdout=stdout)
    view = gpu_view({"smi_xml": cap})
    assert (view.snapshot, view.problems) == (None, [problem])


def test_reset_signals_compile_no_pattern_at_import() -> None:
    """diag.reset.signals compiles its ~20 patterns on first use, not at every start (only XID,
    which every kernel log line is matched against, is compiled at import)."""
    code = (
        "import re, sys\n"
        "import diag.reset.signals  # noqa\n"  # its dependencies first
        "del sys.modules['diag.reset.signals']\n"
        "n = []\n"
        "orig = re.compile\n"
        "re.compile = lambda *a, **k: n.append(a) or orig(*a, **k)\n"
        "import diag.reset.signals as s\n"
        "print(len(n), s.kernel_signal('Kernel panic - not syncing: x'), len(n))\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout == "1 ('kernel_panic', 0.8) 13\n"  # XID, the evidence reader's, is eager


def test_the_stamp_is_datetimes_spelling(monkeypatch: pytest.MonkeyPatch) -> None:
    """diag.stamp.utc_now (no `datetime`), which the model path and the fast paths share,
    spells an instant as `datetime.isoformat(timespec="milliseconds")` in UTC with a `Z`
    does (what diag.envelope used before): milliseconds truncated; over a table of instants,
    leap day and year end included."""
    import time
    from datetime import datetime, timezone

    from diag import envelope, stamp
    from diag.fastpath import doc

    assert envelope.utc_now is stamp.utc_now and doc.utc_now is stamp.utc_now
    for ns in (
        0,
        1_709_164_800_000_000_000,  # 2024-02-29T00:00:00.000Z
        1_735_689_599_999_999_999,  # 2024-12-31T23:59:59.999Z
        1_796_031_485_123_456_789,
        1_796_031_485_000_999_999,
    ):
        monkeypatch.setattr(time, "time_ns", lambda ns=ns: ns)
        at = datetime.fromtimestamp(ns // 1000 / 1e6, timezone.utc)
        want = at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        assert stamp.utc_now() == want


@pytest.mark.parametrize("close_pipe", [False, True])
def test_leave_exits_as_sys_exit_would(close_pipe: bool) -> None:
    """diag.cli.entry.leave skips the interpreter's teardown, not the output: the same status
    and bytes as sys.exit, and where stdout's reader has gone (a flush that fails) the same
    status sys.exit gives then (Python's 120)."""
    outcomes = []
    for ending in ("leave(3)", "sys.exit(3)"):
        code = (  # a line that stays in stdout's buffer; the reader gone before the flush
            "import sys, time\nfrom diag.cli.entry import leave\n"
            f"sys.stdout.write('x' * 2000)\ntime.sleep({0.5 if close_pipe else 0})\n{ending}\n"
        )
        env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # buffered
        proc = subprocess.Popen(
            [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
        )
        assert proc.stdout is not None and proc.stderr is not None
        if close_pipe:
            proc.stdout.close()
            out = b""
        else:
            out = proc.stdout.read()
        err = proc.stderr.read()
        outcomes.append((proc.wait(timeout=60), len(out), b"Traceback" in err))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][:2] == ((120, 0) if close_pipe else (3, 2000))
