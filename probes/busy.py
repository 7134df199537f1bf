"""Engine metrics as a second opinion: a loaded engine is not a zombie.

If the endpoint's own Prometheus counters of generated tokens rise while our probe got no
token, the engine is generating for someone else: busy, reported `slow` and not counted as a
failure. Counter names per engine (Prometheus text format):
vLLM `vllm:generation_tokens_total`, SGLang `sglang:generation_tokens_total`,
llama.cpp server `llamacpp:tokens_predicted_total`, TGI `tgi_request_generated_tokens_sum`.
"""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit

from probes.sse import ChunkedDecoder

GEN_COUNTERS = frozenset(
    {
        "vllm:generation_tokens_total",
        "sglang:generation_tokens_total",
        "llamacpp:tokens_predicted_total",
        "tgi_request_generated_tokens_sum",
    }
)
MAX_BODY = 4 << 20


def generated_tokens(text: str) -> float | None:
    """Sum of every known generation counter's samples; None when none is present. Pure."""
    total, seen = 0.0, False
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name = line.split("{", 1)[0].split(" ", 1)[0]
        if name not in GEN_COUNTERS:
            continue
        value = line.rsplit("}", 1)[-1].split() if "}" in line else line.split()[1:]
        try:
            total += float(value[0])
            seen = True
        except (IndexError, ValueError):
            continue
    return total if seen else None


async def _get(url: str, timeout_s: float) -> bytes:
    parts = urlsplit(url)
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(parts.hostname, parts.port or 80), timeout_s
    )
    try:
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n\r\n".encode()
        )
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(MAX_BODY), timeout_s)
        while len(raw) < MAX_BODY:
            more = await asyncio.wait_for(reader.read(MAX_BODY - len(raw)), timeout_s)
            if not more:
                break
            raw += more
    finally:
        writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.") or b" 200 " not in head.split(b"\r\n")[0] + b" ":
        return b""
    if b"transfer-encoding: chunked" in head.lower():
        body = ChunkedDecoder().feed(body)
    return body


async def read_counter(url: str, timeout_s: float = 2.0) -> float | None:
    """The engine's generated-token total, or None (unreachable, no known counter)."""
    if not url:
        return None
    # Any failure (unreachable, garbage, a host name IDNA cannot encode) means "no opinion".
    with contextlib.suppress(Exception):
        return generated_tokens((await _get(url, timeout_s)).decode("utf-8", "replace"))
    return None
