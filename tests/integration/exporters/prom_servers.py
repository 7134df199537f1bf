"""Real Prometheus, node_exporter and Pushgateway on free loopback ports with temp data dirs,
stopped by the fixtures that start them; readiness and results are polled with deadlines."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
POLL_S = 0.2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str, timeout: float = 2.0) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return bytes(resp.read())


def poll(what: str, fn: Callable[[], T | None], deadline_s: float) -> T:
    """fn() until it returns something other than None (errors count as not yet)."""
    end, last = time.monotonic() + deadline_s, ""
    while time.monotonic() < end:
        try:
            got = fn()
            if got is not None:
                return got
        except (OSError, urllib.error.URLError, ValueError, KeyError) as exc:
            last = str(exc)
        time.sleep(POLL_S)
    raise AssertionError(f"{what}: not within {deadline_s} s ({last})")


def start(argv: list[str], log: Path) -> subprocess.Popen[bytes]:
    fh = log.open("wb")
    return subprocess.Popen(argv, stdout=fh, stderr=subprocess.STDOUT)


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path, deadline_s: float = 30) -> None:
    def ready() -> bool | None:
        if proc.poll() is not None:
            raise AssertionError(f"{proc.args} exited {proc.returncode}: {log.read_text()[-2000:]}")
        return True if get(url) is not None else None

    poll(f"{url} ready", ready, deadline_s)


def prometheus_config(path: Path, targets: dict[str, str]) -> None:
    jobs = [
        {"job_name": job, "scrape_interval": "1s", "scrape_timeout": "1s",
         "static_configs": [{"targets": [target]}]}
        for job, target in targets.items()
    ]  # fmt: skip
    path.write_text(json.dumps({"global": {"scrape_interval": "1s"}, "scrape_configs": jobs}))


def query(base: str, promql: str) -> list[dict[str, Any]]:
    url = f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    doc = json.loads(get(url))
    assert doc["status"] == "success", doc
    return list(doc["data"]["result"])
