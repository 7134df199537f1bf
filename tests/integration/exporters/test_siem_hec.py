"""`export siem --format hec --send`: delivery, retries, rejects, the spool and its drain.

Splunk cannot run here: the receiver is a loopback HTTP server that validates the documented
HEC request format (POST /services/collector/event, `Authorization: Splunk <token>`, a body of
JSON event objects one after the other, each with `time` and `event`) and answers 200 / 503 /
400 / 401 or stalls, on demand.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.support.net import free_port
from tests.unit.exporters import siem_cases as cases

pytestmark = pytest.mark.integration
TOKEN = "11111111-2222-3333-4444-555555555555"
GOLDEN = Path(__file__).parents[2] / "golden" / "siem" / "hec" / "all.jsonl"


class Hec(ThreadingHTTPServer):
    mode = "ok"
    requests = 0
    events: list[dict[str, object]]
    problems: list[str]


class Handler(BaseHTTPRequestHandler):
    server: Hec

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        srv = self.server
        srv.requests += 1
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if srv.mode == "slow":
            time.sleep(2)
        if self.path != "/services/collector/event":
            srv.problems.append(f"path {self.path}")
        if self.headers.get("Authorization") != f"Splunk {TOKEN}":
            srv.problems.append("bad Authorization")
        status = {"ok": 200, "503": 503, "400": 400, "401": 401, "slow": 200}[srv.mode]
        if status == 200:
            srv.events += decode(body)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        text = {200: "Success", 400: "Invalid data format", 401: "Invalid token"}.get(
            status, "busy"
        )
        self.wfile.write(json.dumps({"text": text, "code": 0 if status == 200 else 6}).encode())


def decode(body: bytes) -> list[dict[str, object]]:
    """HEC batching: JSON objects back to back (whitespace between them allowed)."""
    text, pos, out = body.decode(), 0, []
    dec = json.JSONDecoder()
    while pos < len(text):
        if text[pos].isspace():
            pos += 1
            continue
        obj, pos = dec.raw_decode(text, pos)
        assert isinstance(obj, dict) and {"time", "event"} <= obj.keys(), obj
        out.append(obj)
    return out


@pytest.fixture
def hec() -> Iterator[Hec]:
    srv = Hec(("127.0.0.1", 0), Handler)
    srv.events, srv.problems = [], []
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(5)


def send(url: str, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp / "token").write_text(TOKEN + "\n")
    argv = [sys.executable, "-m", "diag.cli", "export", "siem", "--format", "hec", "--send", url,
            "--token-file", str(tmp / "token"), "--spool", str(tmp / "spool"), *args]  # fmt: skip
    out = subprocess.run(argv, input=cases.jsonl(), capture_output=True, timeout=60)
    text = subprocess.CompletedProcess(
        argv, out.returncode, out.stdout.decode(), out.stderr.decode()
    )
    assert TOKEN not in text.stdout + text.stderr
    return text


def golden() -> list[object]:
    return [json.loads(line) for line in GOLDEN.read_text().splitlines()]


def url(srv: Hec) -> str:
    return f"http://127.0.0.1:{srv.server_address[1]}"


def test_events_arrive_whole_in_order_batched(hec: Hec, tmp_path: Path) -> None:
    out = send(url(hec), tmp_path, "--batch", "4")
    assert (out.returncode, out.stdout, out.stderr) == (0, "", "diagctl: export siem: sent 10\n")
    assert (hec.requests, hec.problems, hec.events) == (3, [], golden())


def test_down_then_drained_in_order_and_a_resend_keeps_its_ids(hec: Hec, tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    out = send(dead, tmp_path, "--batch", "3", "--retries", "0")
    assert out.returncode == 4
    assert out.stderr.startswith(f"diagctl: export siem: sent 0, spooled 10 in {tmp_path}/spool")
    assert "ConnectionRefusedError" in out.stderr
    assert len(list((tmp_path / "spool").iterdir())) == 4
    out = send(url(hec), tmp_path, "--drain")
    assert (out.returncode, out.stderr) == (
        0,
        "diagctl: export siem: sent 0, drained 10 from the spool\n",
    )
    assert hec.events == golden() and list((tmp_path / "spool").iterdir()) == []
    send(url(hec), tmp_path)
    assert hec.events[10:] == golden()  # same event ids: the SIEM deduplicates a re-send


def test_a_503_is_retried_then_spooled(hec: Hec, tmp_path: Path) -> None:
    hec.mode = "503"
    out = send(url(hec), tmp_path, "--retries", "2")
    assert out.returncode == 4 and hec.requests == 3
    assert "receiver down after 3 attempts: HTTP 503" in out.stderr


@pytest.mark.parametrize("mode,code,requests,phrase", [
    ("400", 1, 1, "rejected 10 (first problem: rejected 10 events: HTTP 400: "),
    ("401", 4, 1, "spooled 10 in"),
])  # fmt: skip
def test_4xx_is_not_retried(hec: Hec, tmp_path: Path, mode: str, code: int, requests: int,
                            phrase: str) -> None:  # fmt: skip
    hec.mode = mode
    out = send(url(hec), tmp_path)
    assert (out.returncode, hec.requests) == (code, requests)
    assert phrase in out.stderr


def test_a_slow_receiver_is_bounded_by_the_timeout(hec: Hec, tmp_path: Path) -> None:
    hec.mode = "slow"
    start = time.monotonic()
    out = send(url(hec), tmp_path, "--timeout", "0.5", "--retries", "0")
    assert out.returncode == 4 and "TimeoutError" in out.stderr
    assert time.monotonic() - start < 10


def test_the_token_never_comes_from_argv_and_is_required(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "diag.cli", "export", "siem", "--format", "hec", "--send",
         "http://127.0.0.1:9", "--spool", str(tmp_path)],
        input="", capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin"},
    )  # fmt: skip
    assert out.returncode == 2
    assert "hec --send needs a token: --token-file FILE or $DIAGCTL_HEC_TOKEN" in out.stderr
