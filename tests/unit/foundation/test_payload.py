"""The real payload, run by the local transport: caps at source, deadlines, broken captures."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from diag.checks.base import Source
from diag.hostcheck import parse_payload
from diag.payload import build_python
from diag.transport.base import Target
from diag.transport.local import LocalTransport

PY = (sys.executable, "-I", "-")


def _collect(sources: list[Source], deadline_s: float = 10.0, timeout: float = 20.0):  # type: ignore[no-untyped-def]
    res = asyncio.run(
        LocalTransport().run(Target(name="t"), PY, build_python(sources, deadline_s), timeout)
    )
    assert res.error is None, res.message
    doc, _line = parse_payload(res.stdout)
    return doc.captures


def test_50mb_kernel_log_is_capped_at_source_keeping_the_tail(tmp_path: Path) -> None:
    log = tmp_path / "kern.log"
    with log.open("wb") as fh:
        for i in range(1_000_000):
            fh.write(b"[%8d.000] \x1b[31mNVRM: line %d \xff\xfe garbage\x00\n" % (i, i))
        fh.write(b"LAST LINE\n")
    size = log.stat().st_size
    assert size > 45_000_000
    caps = _collect([Source("klog", "cmd", argv=("cat", str(log)), cap=65536, tail=True)])
    cap = caps["klog"]
    assert cap.rc == 0 and cap.error is None
    assert cap.stdout.endswith("LAST LINE\n")
    assert len(cap.stdout.encode("utf-8", "surrogatepass")) < 65536 * 2  # replacement chars widen
    assert cap.truncated_bytes == size - 65536
    assert "\ufffd" in cap.stdout  # invalid UTF-8 replaced, not fatal


def test_head_capped_file_counts_what_it_dropped(tmp_path: Path) -> None:
    big = tmp_path / "big"
    big.write_bytes(b"x" * 1_000_000)
    cap = _collect([Source("big", "file", path=str(big), cap=1000)])["big"]
    assert len(cap.stdout) == 1000 and cap.truncated_bytes == 999_000


def test_hanging_command_hits_its_timeout_and_others_still_report(tmp_path: Path) -> None:
    t0 = time.monotonic()
    caps = _collect(
        [
            Source("hang", "cmd", argv=("sleep", "30"), timeout_s=1.0),
            Source("ok", "file", path="/proc/loadavg"),
        ]
    )
    assert time.monotonic() - t0 < 10
    assert caps["hang"].error == "timeout" and caps["hang"].rc is None
    assert caps["ok"].error is None and caps["ok"].stdout


def test_payload_deadline_bounds_the_whole_run() -> None:
    t0 = time.monotonic()
    caps = _collect([Source("hang", "cmd", argv=("sleep", "30"), timeout_s=60.0)], deadline_s=2.0)
    assert time.monotonic() - t0 < 8
    assert caps["hang"].error == "timeout"


def test_missing_tool_file_and_permission_are_named() -> None:
    caps = _collect(
        [
            Source("nocmd", "cmd", argv=("definitely-not-a-tool-xyz",)),
            Source("nofile", "file", path="/nonexistent/file"),
            Source("weird", "no-such-capture-type"),
        ]
    )
    assert caps["nocmd"].error == "missing"
    assert caps["nofile"].error == "missing"
    assert caps["weird"].error == "unsupported"


def test_local_transport_timeout_kills_the_process() -> None:
    res = asyncio.run(LocalTransport().run(Target(name="t"), ("sleep", "30"), b"", 0.5))
    assert res.error == "timeout" and res.exit_code is None


def test_payload_is_python38_syntax() -> None:
    """The collector runs on hosts with Python 3.8: it must parse with 3.8's grammar."""
    import ast

    from diag.payload import collector_source

    ast.parse(collector_source(), feature_version=(3, 8))
