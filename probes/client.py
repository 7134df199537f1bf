"""One streamed generation request against an OpenAI-compatible endpoint, timed (asyncio, stdlib).

A hand-rolled HTTP/1.1 client on asyncio streams: it lets us time the TCP connect apart from
the first token, and a stopped (SIGSTOP) server whose kernel still accepts connections shows
up as a connect that succeeds followed by silence, which is exactly a zombie.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import ssl
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from diag import redact
from probes.sse import ChunkedDecoder, SseParser, StreamError, chunk_of
from schemas.probe import Api, ProbeTarget, Timings

TEXT_KEEP = 256
HEAD_LIMIT = 64 * 1024
ERROR_BODY_LIMIT = 4096


@dataclass
class Outcome:
    """A probe's raw result: timings plus how it ended (for the pure verdict)."""

    timings: Timings
    connected: bool = False
    deadline_hit: bool = False
    stream_error: str = ""
    gaps_ms: list[float] = field(default_factory=list)
    gen_tokens_before: float | None = None  # the engine's own counter (busy check), if read
    gen_tokens_after: float | None = None


def request_body(t: ProbeTarget) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": t.model,
        "max_tokens": t.max_tokens,
        "temperature": 0,
        "seed": t.seed,
        "stream": True,
    }
    if t.api is Api.CHAT:
        body["messages"] = [{"role": "user", "content": t.prompt}]
    else:
        body["prompt"] = t.prompt
    if t.ignore_eos:
        body["ignore_eos"] = True
    if t.priority is not None:
        body["priority"] = t.priority
    body.update(t.extra_body)
    return body


def request_bytes(t: ProbeTarget) -> bytes:
    parts = urlsplit(t.url)
    path = (parts.path or "") + ("/v1/chat/completions" if t.api is Api.CHAT else "/v1/completions")
    if parts.query:  # e.g. ?api_key=... for gateways that take the key there
        path += "?" + parts.query
    payload = json.dumps(request_body(t)).encode()
    head = [
        f"POST {path} HTTP/1.1",
        f"Host: {parts.netloc.rpartition('@')[2]}",
        "User-Agent: diagctl-probe",
        "Content-Type: application/json",
        "Accept: text/event-stream",
        f"Content-Length: {len(payload)}",
        "Connection: close",
    ]
    token = os.environ.get(t.api_key_env, "") if t.api_key_env else ""
    if token:
        head.append(f"Authorization: Bearer {token}")  # never logged or emitted
    elif parts.username is not None:  # http://user:pass@host: basic auth, never emitted
        userinfo = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
        head.append(f"Authorization: Basic {base64.b64encode(userinfo).decode()}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + payload


def tls_context(t: ProbeTarget) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=t.tls_ca_file or None)
    if not t.tls_verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


redact_url = redact.url  # the URL as every output shows it: userinfo and query tokens masked


def target_secrets(t: ProbeTarget) -> set[str]:
    """Every literal secret one target's configuration holds: URL passwords and query tokens
    (url, metrics_url), the bearer token from api_key_env, credential-like extra_body values."""
    found = redact.url_secrets(t.url)
    if t.metrics_url:
        found |= redact.url_secrets(t.metrics_url)
    token = os.environ.get(t.api_key_env, "") if t.api_key_env else ""
    if token:
        found.add(token)
    found |= _body_secrets(t.extra_body)
    return found


def _body_secrets(value: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, str) and redact.is_secret_name(str(k)):
                found.add(v)
            else:
                found |= _body_secrets(v)
    elif isinstance(value, list):
        for v in value:
            found |= _body_secrets(v)
    return found


def _ms(since: float) -> float:
    return round((time.monotonic() - since) * 1000, 3)


class _Run:
    def __init__(self, target: ProbeTarget, connect_timeout_s: float) -> None:
        self.t = target
        self.connect_timeout_s = connect_timeout_s
        self.out = Outcome(Timings())
        self.t0 = time.monotonic()
        self.sent = self.t0
        self.last_token = 0.0
        self.text: list[str] = []
        self.secrets = target_secrets(target)

    async def go(self) -> None:
        parts = urlsplit(self.t.url)
        tls = tls_context(self.t) if parts.scheme == "https" else None
        port = parts.port or (443 if tls else 80)
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(parts.hostname, port, ssl=tls), self.connect_timeout_s
            )
        except (OSError, asyncio.TimeoutError, ssl.SSLError) as exc:
            why = redact.text(f"{type(exc).__name__}: {exc}", self.secrets)
            self.out.timings.error = f"connect: {why}"[:300]
            return
        self.out.connected = True
        self.out.timings.connect_ms = _ms(self.t0)
        try:
            writer.write(request_bytes(self.t))
            await writer.drain()
            self.sent = time.monotonic()
            await self._response(reader)
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 0.5)

    async def _response(self, reader: asyncio.StreamReader) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError) as exc:
            self.out.timings.error = f"no HTTP response: {type(exc).__name__}"
            return
        status, headers = _parse_head(head)
        self.out.timings.http_status = status
        if status != 200:
            body = (await _read_some(reader, ERROR_BODY_LIMIT)).decode("utf-8", "replace")
            # The body is redacted before it is cut: a cut must not leave half a token behind.
            self.out.timings.error = f"HTTP {status}: {redact.text(body, self.secrets)[:200]!r}"
            return
        ctype = headers.get("content-type", "")
        if "text/event-stream" not in ctype.lower():
            self.out.stream_error = f"not an event stream (content-type {ctype[:60]!r})"
            return
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        await self._stream(reader, ChunkedDecoder() if chunked else None)

    async def _stream(self, reader: asyncio.StreamReader, dechunk: ChunkedDecoder | None) -> None:
        parser = SseParser()
        while True:
            data = await reader.read(65536)
            if not data:
                break
            try:
                body = dechunk.feed(data) if dechunk else data
                events = parser.feed(body)
            except StreamError as exc:
                self.out.stream_error = redact.text(str(exc), self.secrets)[:300]
                return
            for ev in events:
                if self._chunk(ev):
                    return
            if dechunk and dechunk.finished:
                break
        for ev in parser.feed("\n\n"):
            if self._chunk(ev):
                return

    def _chunk(self, ev: Any) -> bool:
        """Account one event; True when the stream is over."""
        c = chunk_of(ev, self.t.api)
        tm = self.out.timings
        if c.done:
            tm.done_seen = True
            return True
        if c.error:
            self.out.stream_error = redact.text(c.error, self.secrets)[:300]
            return True
        if c.usage_completion_tokens is not None:
            tm.usage_completion_tokens = c.usage_completion_tokens
        if c.finish_reason:
            tm.finish_reason = c.finish_reason
        if c.text:
            now = time.monotonic()
            if tm.tokens == 0:
                tm.ttft_ms = round((now - self.sent) * 1000, 3)
            else:
                self.out.gaps_ms.append(round((now - self.last_token) * 1000, 3))
            self.last_token = now
            tm.tokens += 1
            self.text.append(c.text)
        return False

    def finish(self) -> Outcome:
        """Close the books; endpoint-supplied text (errors, generated text) is redacted here,
        at the source, so every later copy (reason, evidence, audit, envelopes) is clean."""
        tm = self.out.timings
        tm.e2e_ms = _ms(self.t0)
        tm.text = redact.text("".join(self.text)[:TEXT_KEEP], self.secrets)
        self.out.stream_error = redact.text(self.out.stream_error, self.secrets)
        tm.error = redact.text(tm.error, self.secrets)
        gaps = self.out.gaps_ms
        if gaps:
            tm.itl_ms_max = max(gaps)
            tm.itl_ms_mean = round(sum(gaps) / len(gaps), 3)
        if self.out.stream_error and not tm.error:
            tm.error = self.out.stream_error[:300]
        return self.out


def _parse_head(head: bytes) -> tuple[int, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    try:
        status = int(lines[0].split()[1])
    except (IndexError, ValueError):
        status = 0
    headers = {}
    for line in lines[1:]:
        k, sep, v = line.partition(":")
        if sep:
            headers[k.strip().lower()] = v.strip()
    return status, headers


async def _read_some(reader: asyncio.StreamReader, limit: int) -> bytes:
    with contextlib.suppress(Exception):
        return await asyncio.wait_for(reader.read(limit), 1.0)
    return b""


async def probe(target: ProbeTarget, deadline_s: float, connect_timeout_s: float) -> Outcome:
    """Probe once; never raises. The deadline bounds the whole request, connect included."""
    run = _Run(target, min(connect_timeout_s, deadline_s))
    try:
        await asyncio.wait_for(run.go(), deadline_s)
    except asyncio.TimeoutError:
        run.out.deadline_hit = True
        if not run.out.timings.error:
            run.out.timings.error = f"deadline {deadline_s:g} s passed"
    except (OSError, asyncio.IncompleteReadError) as exc:
        run.out.timings.error = redact.text(f"{type(exc).__name__}: {exc}", run.secrets)[:300]
    except Exception as exc:
        why = redact.text(f"{type(exc).__name__}: {exc}", run.secrets)
        run.out.timings.error = f"probe failed: {why}"[:300]
    return run.finish()
