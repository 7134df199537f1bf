"""Secrets planted in every input of `diagctl probe run` appear in no output byte.

A real HTTP server on 127.0.0.1 plays a hostile endpoint: it answers with a 401 whose body
echoes everything it was sent (the basic-auth password, the query token, the request body),
or with an SSE error event that quotes the bearer token back. The run writes stdout, stderr,
the audit log, the state file and the Prometheus textfile; each is searched for each secret,
in the forms it could take (as is, percent-encoded, base64 in a Basic header)."""

from __future__ import annotations

import base64
import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml
from probes_support import run_cli

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

BASIC_PW = "pw-Pl4nted#1/x"  # '#' and '/' percent-encoded in the URL, as the docs ask
QUERY_TOKEN = "qtok-Pl4nted-2"
BODY_KEY = "bodykey-Pl4nted-3"
ENV_TOKEN = "envtok-Pl4nted-4"
METRICS_TOKEN = "mtok-Pl4nted-5"
SECRETS = [BASIC_PW, QUERY_TOKEN, BODY_KEY, ENV_TOKEN, METRICS_TOKEN]


class Echo(BaseHTTPRequestHandler):
    """/echo/...: 401 echoing the request; /sse/...: an SSE error quoting the bearer token."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
        auth = self.headers.get("Authorization", "")
        if self.path.startswith("/sse/"):
            token = auth.removeprefix("Bearer ")
            event = {"error": {"message": f"invalid api key {token}", "auth": auth}}
            payload = f"data: {json.dumps(event)}\n\n".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        decoded = base64.b64decode(auth.removeprefix("Basic ")).decode() if auth else ""
        echo = f"denied {decoded} {auth} path={self.path} body={body}".encode()
        self.send_response(401)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(echo)))
        self.end_headers()
        self.wfile.write(echo)

    def do_GET(self) -> None:
        text = f"# {self.path}\nvllm:generation_tokens_total 5\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def echo_server() -> Iterator[str]:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(5)


def forms(secret: str) -> list[str]:
    b64 = base64.b64encode(f"user:{secret}".encode()).decode()
    return [secret, quote(secret, safe=""), b64]


def assert_clean(where: str, data: bytes) -> None:
    text = data.decode("utf-8", "replace")
    for s in SECRETS:
        for form in forms(s):
            assert form not in text, f"{where} leaks {s!r} as {form!r}"


def targets(addr: str) -> dict[str, object]:
    return {
        "targets": [
            {"name": "basic", "node": "n1", "model": "m",
             "url": f"http://user:{quote(BASIC_PW, safe='')}@{addr}/echo?api_key={QUERY_TOKEN}",
             "extra_body": {"api_key": BODY_KEY}},
            {"name": "bearer", "node": "n2", "model": "m", "url": f"http://{addr}/sse",
             "api_key_env": "DIAG_TEST_PROBE_KEY",
             "metrics_url": f"http://{addr}/metrics?token={METRICS_TOKEN}"},
        ],
        "groups": {"default": {"backend": "command", "fail_threshold": 1, "deadline_s": 3,
                               "connect_timeout_s": 1, "max_cordon_fraction": 1,
                               "command_cordon": ["/bin/echo", "cordon", "{node}", "{reason}"],
                               "command_uncordon": ["/bin/echo", "resume", "{node}"]}},
    }  # fmt: skip


@pytest.mark.parametrize("human", [False, True])
def test_planted_secrets_appear_in_no_output(echo_server: str, tmp_path: Path, human: bool) -> None:
    tf = tmp_path / "t.yaml"
    tf.write_text(yaml.safe_dump(targets(echo_server)))
    files = {"state": tmp_path / "state.json", "audit": tmp_path / "audit.jsonl",
             "prom": tmp_path / "probe.prom"}  # fmt: skip
    env = {**os.environ, "DIAG_TEST_PROBE_KEY": ENV_TOKEN}
    args = [f"--{k}={v}" for k, v in files.items()] + (["--human"] if human else [])
    res = run_cli("probe", "run", "--targets", str(tf), "--act", *args, env=env)
    assert res.returncode == 3, res.stderr  # both zombie (4xx, SSE error), cordoned
    assert_clean("stdout", res.stdout.encode())
    assert_clean("stderr", res.stderr.encode())
    for name, path in files.items():
        assert_clean(name, path.read_bytes())
    audit = [json.loads(x) for x in files["audit"].read_text().splitlines()]
    assert [(a["node"], a["action"], a["result"]) for a in audit] == [
        ("n1", "cordon", "done"), ("n2", "cordon", "done")
    ]  # fmt: skip
    if human:
        return
    by = {e["host"]["name"]: e for e in map(json.loads, res.stdout.splitlines())
          if e["kind"] == "probe.result"}  # fmt: skip
    basic, bearer = by["basic"]["data"], by["bearer"]["data"]
    assert basic["url"] == f"http://***@{echo_server}/echo?api_key=***"
    assert by["basic"]["host"]["address"] == basic["url"]
    assert basic["timings"]["error"] == (
        "HTTP 401: 'denied user:*** Basic *** path=/echo/v1/completions?api_key=*** body="
        '{"model": "m", "max_tokens": 8, "temperature": 0, "seed": 0, "stream": true, '
        '"prompt": "Say OK.", "api_key": "***"}\''
    )
    assert bearer["verdict"] == "zombie"
    assert bearer["timings"]["error"] == (
        "server error event: {'message': 'invalid api key ***', 'auth': '***'}"
    )


def test_bad_url_is_exit_2_without_the_secret(tmp_path: Path) -> None:
    doc = {"targets": [{"name": "a", "node": "n1", "model": "m",
                        "url": f"http://admin:{BASIC_PW}@127.0.0.1:1"}]}  # fmt: skip
    tf = tmp_path / "t.yaml"
    tf.write_text(yaml.safe_dump(doc))
    res = run_cli("probe", "run", "--targets", str(tf), "--state", str(tmp_path / "s.json"),
                  "--audit", str(tmp_path / "a.jsonl"))  # fmt: skip
    assert res.returncode == 2 and res.stdout == ""
    assert res.stderr == (
        f"Error: {tf}: targets[0] 'a': url: has '@' or '#' after the host: percent-encode "
        "'/', '?', '#' and '@' in a user name or password (%2F %3F %23 %40); no #fragment\n"
    )
    assert_clean("stderr", res.stderr.encode())
