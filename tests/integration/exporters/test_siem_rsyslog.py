"""`export siem --format syslog --send tcp://|udp://` into a real rsyslogd (Debian `rsyslog`),
started by the test with its own config: imtcp and imudp on free loopback ports, every message
written twice by omfile: as received (%rawmsg%) and as rsyslog's RFC 5424 parser split it."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.components import require_binaries
from tests.support.net import free_port, stop
from tests.unit.exporters import siem_cases as cases

pytestmark = pytest.mark.integration
GOLDEN = Path(__file__).parents[2] / "golden" / "siem" / "syslog" / "all.log"
CONF = """
global(workDirectory="{d}")
module(load="imtcp")
module(load="imudp")
input(type="imtcp" address="127.0.0.1" port="{tcp}")
input(type="imudp" address="127.0.0.1" port="{udp}")
template(name="raw" type="string" string="%rawmsg%\\n")
template(name="parsed" type="string"
         string="%hostname%|%app-name%|%procid%|%msgid%|%syslogseverity%|%structured-data%\\n")
action(type="omfile" file="{d}/raw.log" template="raw")
action(type="omfile" file="{d}/parsed.log" template="parsed")
"""


@contextlib.contextmanager
def running_rsyslogd(conf: Path, port: int) -> Iterator[None]:
    """rsyslogd in the foreground on `conf` (pid file beside it), until it listens on TCP `port`
    (20 s at most); stopped on the way out."""
    proc = subprocess.Popen(
        [shutil.which("rsyslogd") or "rsyslogd", "-n", "-f", str(conf),
         "-i", str(conf.parent / "pid")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
                break
            except OSError:
                assert proc.poll() is None, "rsyslogd exited"
                assert time.monotonic() < deadline, "rsyslogd did not listen"
                time.sleep(0.1)
        yield
    finally:
        stop(proc)


@pytest.fixture
def rsyslog(tmp_path: Path) -> Iterator[tuple[int, int, Path]]:
    require_binaries("rsyslogd", why="apt-get install rsyslog")
    tcp, udp = free_port(), free_port()
    conf = tmp_path / "rsyslog.conf"
    conf.write_text(CONF.format(d=tmp_path, tcp=tcp, udp=udp))
    with running_rsyslogd(conf, tcp):
        yield tcp, udp, tmp_path


def lines_of(path: Path, count: int) -> list[str]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if path.exists():
            got = path.read_text().splitlines()
            if len(got) >= count:
                return got
        time.sleep(0.1)
    raise AssertionError(f"{path}: fewer than {count} lines after 20 s")


def send(url: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "diag.cli", "export", "siem", "--format", "syslog",
         "--send", url, "--retries", "0", "--spool", "/nonexistent-never-used"],
        input=cases.jsonl(), capture_output=True, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize("proto", ["tcp", "udp"])
def test_rsyslog_receives_every_message_whole(rsyslog: tuple[int, int, Path], proto: str) -> None:
    tcp, udp, d = rsyslog
    port = tcp if proto == "tcp" else udp
    out = send(f"{proto}://127.0.0.1:{port}")
    assert (out.returncode, out.stderr) == (0, b"diagctl: export siem: sent 10\n")
    golden = GOLDEN.read_text().splitlines()
    raw = lines_of(d / "raw.log", 10)
    assert sorted(raw) == sorted(golden) if proto == "udp" else raw == golden
    parsed = lines_of(d / "parsed.log", 10)
    first = next(p for p in parsed if "gpu.memory" in p)
    assert first == (
        'gpu-01|diagctl|-|finding|3|[diagctl@32473 id="07331a9dc940b90f8b3ca5c9981f2603" '
        'kind="health.l1" status="fail" severity="high" check="gpu.memory" entity="GPU-abc" '
        'action="reset" outcome="failure" host_id="SN-1" version="t"]'
    )
