"""The busy check: a stopped llama.cpp server (no tokens for us) whose engine metrics show
generated tokens rising is `slow`, not `zombie`. llama-cpp-python's server has no /metrics, so
the metrics endpoint here is a real prometheus_client exposition server publishing the
`vllm:generation_tokens_total` counter, advanced by a thread while the probe runs."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from wsgiref.simple_server import WSGIServer

import pytest
from prometheus_client import CollectorRegistry, Counter, make_wsgi_app
from prometheus_client.exposition import make_server

from probes.round import RunOptions
from probes.runner import run_round
from schemas.probe import TargetsFile, Verdict

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


@pytest.fixture
def metrics() -> Iterator[tuple[str, Counter, threading.Event]]:
    reg = CollectorRegistry()
    counter = Counter("vllm:generation_tokens", "Generated tokens", registry=reg)
    server: WSGIServer = make_server("127.0.0.1", 0, make_wsgi_app(reg))
    serve = threading.Thread(target=server.serve_forever, daemon=True)
    serve.start()
    rising = threading.Event()
    stop = threading.Event()

    def tick() -> None:
        while not stop.wait(0.05):
            if rising.is_set():
                counter.inc(16)

    ticker = threading.Thread(target=tick, daemon=True)
    ticker.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/metrics", counter, rising
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
        ticker.join(2)
        serve.join(2)


def one_round(url: str, metrics_url: str, tmp: Path) -> tuple[Verdict, bool, int]:
    tf = TargetsFile.model_validate(
        {
            "targets": [{"name": "z", "url": url, "model": "tiny", "node": "n1",
                         "metrics_url": metrics_url}],
            "groups": {"default": {"deadline_s": 1}},
        }
    )  # fmt: skip
    res = asyncio.run(run_round(tf, RunOptions(state_path=tmp / "s", audit_path=tmp / "a")))
    d = res.probes[0].data
    return d.verdict, d.skipped_busy, d.state.consecutive_fail


def test_busy_engine_is_slow_not_zombie(llama, metrics, tmp_path) -> None:  # type: ignore[no-untyped-def]
    url, _, rising = metrics
    srv = llama()
    srv.pause()
    assert one_round(srv.url, url, tmp_path) == (Verdict.ZOMBIE, False, 1)
    rising.set()
    time.sleep(0.1)
    assert one_round(srv.url, url, tmp_path) == (Verdict.SLOW, True, 1)  # not counted
