"""`--serve HOST:PORT`: a small HTTP exporter for a long-running jump host.

GET /metrics re-reads the `--from` sources (run directories, JSONL files) and answers with the
exposition text. Reads are bounded: at most one re-read per `min_interval_s` (scrapes in
between get the cached text), one request at a time, a socket timeout per request, and the
input limits of exporters/source.py. Anything else is 404.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer

from exporters.prometheus.push import CONTENT_TYPE

REQUEST_TIMEOUT_S = 10.0


class Cache:
    def __init__(self, load: Callable[[], bytes], min_interval_s: float) -> None:
        self._load, self._min = load, min_interval_s
        self._lock = threading.Lock()
        self._body, self._at = b"", float("-inf")

    def body(self) -> bytes:
        with self._lock:
            now = time.monotonic()
            if now - self._at >= self._min:
                self._body, self._at = self._load(), now
            return self._body


def make_server(host: str, port: int, load: Callable[[], bytes], interval_s: float) -> HTTPServer:
    """A bound server (port 0: any free port, see `server_address`); call serve_forever()."""
    cache = Cache(load, interval_s)

    class Handler(BaseHTTPRequestHandler):
        timeout = REQUEST_TIMEOUT_S

        def do_GET(self) -> None:
            if self.path.split("?")[0] != "/metrics":
                self.send_error(404, "only /metrics is served")
                return
            body = cache.body()
            self.send_response(200)
            self.send_header("Content-Type", CONTENT_TYPE)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # a library never prints; scrapes are Prometheus' to log

    class Server(HTTPServer):
        address_family = socket.AF_INET6 if ":" in host else socket.AF_INET

    return Server((host, port), Handler)


def parse_listen(value: str) -> tuple[str, int]:
    """`HOST:PORT`, `:PORT` (all interfaces) or `[::1]:PORT`; ValueError with the reason."""
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("expected HOST:PORT with a port from 1 to 65535, e.g. 127.0.0.1:9105")
    host = host.strip("[]") or "0.0.0.0"
    return host, int(port)
