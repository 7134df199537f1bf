"""Textfile and spool: atomic file per job, options checked before input is read, the spool
bounded with the oldest dropped and counted, drained in order."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from exporters.prometheus.push import group_path
from exporters.prometheus.serve import Cache, parse_listen
from exporters.prometheus.spool import Spool, Spooled
from tests.support.prom_inputs import health_envelopes, jsonl

DIAGCTL = [sys.executable, "-m", "diag.cli", "export", "prometheus"]


def run(stdin: bytes, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*DIAGCTL, *args], input=stdin.decode(), capture_output=True,
                          text=True, timeout=60, check=False)  # fmt: skip


def test_textfile_one_file_per_job_atomic(tmp_path: Path) -> None:
    res = run(jsonl(health_envelopes()), "--textfile", str(tmp_path), "--job", "health")
    assert res.returncode == 0 and res.stdout == "", res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["diagctl_health.prom"]
    body = (tmp_path / "diagctl_health.prom").read_text()
    assert body == (Path(__file__).parents[3] / "golden/prometheus/health.prom").read_text()


@pytest.mark.parametrize(
    "args,error",
    [
        (["--textfile", "{missing}"], "{missing}: --textfile: not a directory (create it first)"),
        (["--job", "a/b"], "--job 'a/b': use 1-64 characters A-Z a-z 0-9 _ . - "
                           "(it names a file and a Pushgateway group)"),
        (["--textfile", "{tmp}", "--push", "http://127.0.0.1:9"],
         "--textfile and --push: choose one output mode"),
        (["--delete"], "--delete removes a Pushgateway group: give --push URL"),
        (["--serve", "127.0.0.1:9105"],
         "--serve re-reads its input on scrape: give --from DIR or FILE"),
        (["--push", "http://127.0.0.1:9", "--spool-max", "0"],
         "--spool-max 0: keep at least 1 push"),
    ],
)  # fmt: skip
def test_bad_options_one_line_exit_2(tmp_path: Path, args: list[str], error: str) -> None:
    sub = {"{missing}": str(tmp_path / "nope"), "{tmp}": str(tmp_path)}
    argv = [sub.get(a, a) for a in args]
    res = run(b"", *argv)
    assert res.returncode == 2
    assert res.stderr == f"Error: {error.replace('{missing}', sub['{missing}'])}\n"


def test_textfile_dir_not_writable() -> None:
    """sysfs refuses new files even to root (a read-only directory would not stop root)."""
    res = run(b"", "--textfile", "/sys/kernel")
    assert res.returncode == 2
    assert res.stderr == "Error: /sys/kernel: --textfile: not writable: Permission denied\n"


def test_spool_bounded_drops_oldest_and_counts(tmp_path: Path) -> None:
    spool = Spool(tmp_path, limit=3)
    for i in range(5):
        assert spool.put("health", "jump1", f"m {i}\n".encode()) == ""
    kept = [Spool.read(p) for p in spool.items()]
    assert [k.body for k in kept if k] == [b"m 2\n", b"m 3\n", b"m 4\n"]
    assert spool.dropped() == 2


def test_spool_drains_in_order_and_stops_at_first_retry(tmp_path: Path) -> None:
    spool = Spool(tmp_path, limit=10)
    for i in range(4):
        spool.put("health", "jump1", f"m {i}\n".encode())
    sent: list[bytes] = []

    def send(item: Spooled) -> str:
        if item.body == b"m 2\n":
            return "retry: down again"
        sent.append(item.body)
        return ""

    assert spool.drain(send) == (2, "retry: down again")
    assert sent == [b"m 0\n", b"m 1\n"]
    assert len(spool.items()) == 2
    assert spool.drain(lambda item: "") == (2, "")
    assert spool.items() == [] and spool.dropped() == 0


def test_spool_refused_item_is_dropped_and_counted(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.put("health", "jump1", b"m 0\n")
    (tmp_path / "00000000000000000000-1.push").write_bytes(b"not json\n")
    assert spool.drain(lambda item: "HTTP 400 bad") == (0, "")
    assert spool.items() == [] and spool.dropped() == 2


def test_unwritable_spool_drops_new_push_and_says_so(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    spool_dir = tmp_path / "file" / "spool"  # under a regular file: ENOTDIR, like a full disk
    why = Spool(spool_dir).put("health", "jump1", b"m\n")
    assert why == f"spool {spool_dir} not writable (Not a directory): push dropped"


@pytest.mark.parametrize(
    "job,instance,path",
    [("health", "jump1", "/metrics/job/health/instance/jump1"),
     ("health", "jump1.dc-2:9", "/metrics/job/health/instance/jump1.dc-2:9"),
     ("health", "a/b", "/metrics/job/health/instance@base64/YS9i"),
     ("health", "", "/metrics/job/health/instance@base64/=")],
)  # fmt: skip
def test_group_path(job: str, instance: str, path: str) -> None:
    assert group_path(job, instance) == path


@pytest.mark.parametrize(
    "value,parsed",
    [("127.0.0.1:9105", ("127.0.0.1", 9105)), (":9105", ("0.0.0.0", 9105)),
     ("[::1]:9105", ("::1", 9105)), ("h:1", ("h", 1)), ("h:65535", ("h", 65535)),
     ("h:0", None), ("h:65536", None), ("9105", None), ("h:x", None), ("h:", None)],
)  # fmt: skip
def test_parse_listen(value: str, parsed: tuple[str, int] | None) -> None:
    if parsed is None:
        with pytest.raises(ValueError, match="expected HOST:PORT"):
            parse_listen(value)
    else:
        assert parse_listen(value) == parsed


def test_serve_caches_between_rereads() -> None:
    calls: list[int] = []

    def load() -> bytes:
        calls.append(1)
        return str(len(calls)).encode()

    cache = Cache(load, 3600)
    assert (cache.body(), cache.body()) == (b"1", b"1")
    assert Cache(load, 0).body() == b"2"


@pytest.mark.parametrize(
    "status,rc,spooled,line",
    [(400, 2, 0, "Error: --push: refused: {url}: HTTP 400 bad metrics"),
     (503, 4, 1, "diagctl: export prometheus: spooled in {spool} (1 pending)"),
     (429, 4, 1, "diagctl: export prometheus: spooled in {spool} (1 pending)")],
)  # fmt: skip
def test_push_status_handling(
    tmp_path: Path, status: int, rc: int, spooled: int, line: str
) -> None:
    """A loopback stand-in answering one fixed status: which answers spool, which refuse.
    (The real Pushgateway path is in tests/integration/exporters.)"""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class Answer(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b"bad metrics")

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        spool = tmp_path / "spool"
        res = run(jsonl(health_envelopes()[:1]), "--push", url, "--spool", str(spool))
    finally:
        server.shutdown()
        server.server_close()
    assert res.returncode == rc
    assert res.stderr.splitlines()[-1] == line.format(url=url, spool=spool)
    assert len(list(spool.glob("*.push"))) == spooled


def test_raw_probe_audit_lines_are_counters(tmp_path: Path) -> None:
    """`probe run --audit FILE` lines (AuditRecords, not envelopes) read as probe.audit: each
    cordon / breaker record adds one to diagctl_probe_actions_total."""
    from schemas.probe import ActionKind, ActionResult, AuditRecord

    def rec(action: ActionKind, result: ActionResult, node: str) -> str:
        return AuditRecord(at="2026-11-22T20:01:05Z", who="sre@jump1 pid 7", action=action,
                           group="gpu", node=node, result=result,
                           dry_run=False).model_dump_json()  # fmt: skip

    lines = [rec(ActionKind.CORDON, ActionResult.DONE, "gpu-node-3"),
             rec(ActionKind.CORDON, ActionResult.DONE, "gpu-node-4"),
             rec(ActionKind.BREAKER, ActionResult.BLOCKED, "gpu-node-5")]  # fmt: skip
    log = tmp_path / "probe-audit.jsonl"
    log.write_text("\n".join(lines) + "\n")
    res = run(b"", "--from", str(log))
    assert res.returncode == 0, res.stderr
    got = [x for x in res.stdout.splitlines() if x.startswith("diagctl_probe_actions_total{")]
    assert got == [
        'diagctl_probe_actions_total{action="cordon",group="gpu",result="done"} 2.0',
        'diagctl_probe_actions_total{action="breaker",group="gpu",result="blocked"} 1.0',
    ]
