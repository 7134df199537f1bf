"""`diagctl export prometheus` against real servers: Debian's prometheus scraping --serve and
node_exporter's textfile collector (checked through Prometheus' HTTP API), and
prometheus-pushgateway receiving pushes, including pushes spooled while it was down."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.exporters.prom_servers import (
    free_port,
    get,
    poll,
    prometheus_config,
    query,
    start,
    stop,
    wait_ready,
)
from tests.support.components import require_binaries
from tests.support.prom_inputs import health_envelopes, jsonl, probe_envelopes

DIAGCTL = [sys.executable, "-m", "diag.cli", "export", "prometheus"]
PROM_BINS = ("prometheus", "prometheus-node-exporter")
WHY = "apt-get install prometheus prometheus-node-exporter prometheus-pushgateway"


def export(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    return subprocess.run([*DIAGCTL, *args], input=stdin.decode(), capture_output=True,
                          text=True, timeout=60, check=False)  # fmt: skip


@pytest.fixture
def scraped(tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    """(Prometheus URL, the --from JSONL file --serve re-reads, the textfile directory)."""
    require_binaries(*PROM_BINS, why=WHY)
    source, textdir = tmp_path / "in.jsonl", tmp_path / "textfile"
    source.write_bytes(jsonl(health_envelopes()))
    textdir.mkdir()
    serve_port, node_port, prom_port = free_port(), free_port(), free_port()
    procs = []
    try:
        procs.append(
            start(
                [
                    *DIAGCTL,
                    "--from",
                    str(source),
                    "--serve",
                    f"127.0.0.1:{serve_port}",
                    "--interval",
                    "0",
                ],
                tmp_path / "serve.log",
            )
        )
        procs.append(
            start(
                [
                    "prometheus-node-exporter",
                    "--collector.disable-defaults",
                    "--collector.textfile",
                    f"--collector.textfile.directory={textdir}",
                    f"--web.listen-address=127.0.0.1:{node_port}",
                ],
                tmp_path / "node.log",
            )
        )
        cfg = tmp_path / "prometheus.yml"
        prometheus_config(
            cfg, {"diagctl": f"127.0.0.1:{serve_port}", "node": f"127.0.0.1:{node_port}"}
        )
        procs.append(
            start(
                [
                    "prometheus",
                    f"--config.file={cfg}",
                    f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                    f"--web.listen-address=127.0.0.1:{prom_port}",
                ],
                tmp_path / "prom.log",
            )
        )
        for proc, port, log in zip(
            procs,
            (serve_port, node_port, prom_port),
            ("serve.log", "node.log", "prom.log"),
            strict=True,
        ):
            path = "/-/ready" if port == prom_port else "/metrics"
            wait_ready(f"http://127.0.0.1:{port}{path}", proc, tmp_path / log)
        yield f"http://127.0.0.1:{prom_port}", source, textdir
    finally:
        for proc in procs:
            stop(proc)


def value_of(base: str, promql: str, want: str) -> list[dict[str, object]] | None:
    result = query(base, promql)
    return result if result and all(r["value"][1] == want for r in result) else None


def test_prometheus_scrapes_serve_and_textfile(scraped: tuple[str, Path, Path]) -> None:
    base, source, textdir = scraped
    gpu = 'diagctl_gpu_action{job="diagctl",host="gpu-node-1",action="reset"}'
    got = poll("reset GPU via --serve", lambda: value_of(base, gpu, "1"), 30)
    assert got[0]["metric"] == {
        "__name__": "diagctl_gpu_action", "action": "reset", "host": "gpu-node-1",
        "gpu": "GPU-00000001-0000-4000-8000-000000000001", "instance": got[0]["metric"]["instance"],
        "job": "diagctl",
    }  # fmt: skip
    # --serve re-reads its source on scrape: a newer run for the host replaces the state
    newer = health_envelopes()[0].model_copy(update={"collected_at": "2026-11-23T00:00:00Z"})
    source.write_bytes(source.read_bytes() + jsonl([newer]))
    passing = 'diagctl_host_status{job="diagctl",host="gpu-node-1",kind="health.l1",status="pass"}'
    poll("newer run seen", lambda: value_of(base, passing, "1"), 30)
    assert query(base, gpu) == []  # no GPU finding in the newer run: the series went stale
    # textfile output through node_exporter's collector
    res = export("--textfile", str(textdir), "--job", "probe", stdin=jsonl(probe_envelopes()))
    assert res.returncode == 0, res.stderr
    zombie = 'diagctl_probe_verdict{job="node",target="llama-z",verdict="zombie"}'
    poll("zombie via textfile", lambda: value_of(base, zombie, "1"), 30)
    assert value_of(base, 'node_textfile_scrape_error{job="node"}', "0")
    breaker = query(base, 'diagctl_breaker_tripped{job="node"}')
    assert [(r["metric"]["group"], r["value"][1]) for r in breaker] == [("gpu", "1")]


@pytest.fixture
def pushgateway_port(tmp_path: Path) -> Iterator[tuple[int, list[object]]]:
    require_binaries("prometheus-pushgateway", why=WHY)
    procs: list[object] = []  # started by the test itself, after pushes met a closed port
    yield free_port(), procs
    for proc in procs:
        stop(proc)  # type: ignore[arg-type]


def test_push_spools_while_down_then_drains(
    tmp_path: Path, pushgateway_port: tuple[int, list[object]]
) -> None:
    port, procs = pushgateway_port
    url, spool = f"http://127.0.0.1:{port}", tmp_path / "spool"
    args = ("--push", url, "--job", "health", "--instance", "jump1", "--spool", str(spool),
            "--timeout", "2")  # fmt: skip
    for pending in (1, 2):
        res = export(*args, stdin=jsonl(health_envelopes()))
        assert res.returncode == 4, res.stderr
        assert res.stderr.splitlines()[-1] == (
            f"diagctl: export prometheus: spooled in {spool} ({pending} pending)"
        )
    proc = start(["prometheus-pushgateway", f"--web.listen-address=127.0.0.1:{port}"],
                 tmp_path / "pgw.log")  # fmt: skip
    procs.append(proc)
    wait_ready(f"{url}/-/ready", proc, tmp_path / "pgw.log")
    res = export(*args, stdin=jsonl(health_envelopes()))
    assert (res.returncode, res.stderr) == (0, "")
    assert sorted(p.name for p in spool.iterdir()) == []
    text = get(f"{url}/metrics").decode()
    line = ('diagctl_gpu_action{action="reset",gpu="GPU-00000001-0000-4000-8000-000000000001",'
            'host="gpu-node-1",instance="jump1",job="health"} 1')  # fmt: skip
    assert line in text.splitlines()
    assert 'diagctl_push_spool_pending{instance="jump1",job="health"} 2' in text.splitlines()
    res = export("--push", url, "--job", "health", "--instance", "jump1", "--delete")
    assert (res.returncode, res.stderr) == (0, "")
    assert "diagctl_gpu_action" not in get(f"{url}/metrics").decode()
