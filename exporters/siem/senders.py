"""Wire senders: Splunk HEC over HTTP(S), syslog over UDP, TCP and TLS.

A sender's `send(batch)` delivers a whole batch or raises one of the three errors below;
`deliver.py` decides about retries and the spool. Nothing here prints, and no message
carries the HEC token (diag.redact masks it, and the Authorization header is never quoted).
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from diag import redact
from diag.errors import UsageError
from diag.textsafe import safe_text
from exporters.siem import hec, syslog


class Retryable(Exception):
    """Down, slow, 5xx or 429: try again later. `retry_after_s` from a Retry-After header."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class Rejected(Exception):
    """The receiver refused this batch for what it holds (4xx): sending it again cannot help."""


class Refused(Exception):
    """The receiver refused us (401/403: token): stop, keep every batch for later."""


class Sender(Protocol):
    def send(self, batch: list[str]) -> None: ...


@dataclass(frozen=True)
class Endpoint:
    scheme: str  # http | https | udp | tcp | tls
    host: str
    port: int
    path: str = ""


DEFAULT_PORTS = {"http": 8088, "https": 8088, "udp": 514, "tcp": 514, "tls": 6514}
SCHEMES = {"hec": ("http", "https"), "syslog": ("udp", "tcp", "tls")}


def endpoint(url: str, fmt: str) -> Endpoint:
    """Parse --send for `fmt`; UsageError naming the problem (never echoing userinfo)."""
    allowed = SCHEMES.get(fmt)
    if allowed is None:
        raise UsageError(f"--send: format {fmt} is written to stdout only (use hec or syslog)")
    parts = urlsplit(url)
    if parts.scheme not in allowed or not parts.hostname:
        want = " or ".join(f"{s}://HOST:PORT" for s in allowed)
        raise UsageError(f"--send {redact.url(url)!r}: {fmt} needs {want}")
    if parts.username or parts.password:
        raise UsageError("--send: no credentials in the URL (HEC: --token-file or env)")
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError as exc:
        raise UsageError(f"--send {url!r}: {exc}") from exc
    return Endpoint(parts.scheme, parts.hostname, port, parts.path.rstrip("/"))


class HecSender:
    def __init__(self, ep: Endpoint, token: str, timeout_s: float, ca_file: str = "") -> None:
        self.ep, self.token, self.timeout_s, self.ca_file = ep, token, timeout_s, ca_file

    def _connection(self) -> http.client.HTTPConnection:
        if self.ep.scheme == "https":
            ctx = ssl.create_default_context(cafile=self.ca_file or None)
            return http.client.HTTPSConnection(
                self.ep.host, self.ep.port, timeout=self.timeout_s, context=ctx
            )
        return http.client.HTTPConnection(self.ep.host, self.ep.port, timeout=self.timeout_s)

    def send(self, batch: list[str]) -> None:
        body = "\n".join(batch).encode("utf-8", "replace")
        headers = {"Authorization": f"Splunk {self.token}", "Content-Type": "application/json"}
        conn = self._connection()
        try:
            conn.request("POST", self.ep.path + hec.PATH, body=body, headers=headers)
            resp = conn.getresponse()
            text = resp.read(2048).decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as exc:
            raise Retryable(self._clean(f"{type(exc).__name__}: {exc}")) from exc
        finally:
            conn.close()
        self._judge(resp.status, resp.getheader("Retry-After"), text)

    def _judge(self, status: int, retry_after: str | None, text: str) -> None:
        if 200 <= status < 300:
            return
        why = self._clean(f"HTTP {status}: {text.strip()[:200]}")
        if status == 429 or status >= 500:
            after = float(retry_after) if retry_after and retry_after.isdigit() else None
            raise Retryable(why, after)
        if status in (401, 403):
            raise Refused(why)
        raise Rejected(why)

    def _clean(self, message: str) -> str:
        return safe_text(redact.text(message, [self.token]))


class SyslogSender:
    def __init__(self, ep: Endpoint, timeout_s: float, ca_file: str = "") -> None:
        self.ep, self.timeout_s, self.ca_file = ep, timeout_s, ca_file

    def send(self, batch: list[str]) -> None:
        try:
            if self.ep.scheme == "udp":
                self._udp(batch)
            else:
                self._stream(batch)
        except OSError as exc:
            raise Retryable(safe_text(f"{type(exc).__name__}: {exc}")) from exc

    def _udp(self, batch: list[str]) -> None:
        info = socket.getaddrinfo(self.ep.host, self.ep.port, type=socket.SOCK_DGRAM)[0]
        with socket.socket(info[0], socket.SOCK_DGRAM) as sock:
            sock.settimeout(self.timeout_s)
            for msg in batch:  # one message per datagram (RFC 5426)
                sock.sendto(msg.encode("utf-8", "replace"), info[4])

    def _stream(self, batch: list[str]) -> None:
        data = b"".join(syslog.octet_frame(m) for m in batch)
        with socket.create_connection((self.ep.host, self.ep.port), self.timeout_s) as raw:
            if self.ep.scheme == "tls":
                ctx = ssl.create_default_context(cafile=self.ca_file or None)
                with ctx.wrap_socket(raw, server_hostname=self.ep.host) as sock:
                    sock.sendall(data)
                    with contextlib.suppress(OSError):
                        sock.unwrap()  # close_notify; a receiver that just closes is fine
            else:
                raw.sendall(data)
                raw.shutdown(socket.SHUT_WR)
