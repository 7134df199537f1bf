"""Server-sent events and HTTP/1.1 chunked decoding for OpenAI-compatible streams. Pure.

The servers we probe (vLLM, SGLang, TensorRT-LLM, NIM, llama.cpp) stream `text/event-stream`
over chunked transfer encoding. Per the SSE spec: lines starting with `:` are comments
(keep-alives, e.g. `: ping`), an event is ended by a blank line, several `data:` lines join
with `\\n`, a line may end in CRLF, LF or CR. OpenAI streams end with `data: [DONE]`; vLLM sends a
usage-only chunk (`choices: []`) when `stream_options.include_usage` is set; some engines
send chunks whose delta text is empty (role-only first chat chunk, or partial UTF-8).
"""

from __future__ import annotations

import codecs
import json
from dataclasses import dataclass

from schemas.probe import Api

MAX_BUFFER = 1 << 20  # a line longer than 1 MiB is garbage, not an event


class StreamError(ValueError):
    """The bytes are not a valid chunked body or event stream."""


class ChunkedDecoder:
    """Incremental `Transfer-Encoding: chunked` decoder (RFC 9112 section 7.1)."""

    def __init__(self) -> None:
        self._buf = b""
        self._need = -1  # bytes of chunk data still expected (+2 for CRLF); -1: a size line
        self.finished = False

    def feed(self, data: bytes) -> bytes:
        self._buf += data
        out = bytearray()
        while not self.finished:
            if self._need < 0:
                end = self._buf.find(b"\r\n")
                if end < 0:
                    if len(self._buf) > 1024:
                        raise StreamError("chunk size line too long")
                    break
                size_txt = self._buf[:end].split(b";")[0].strip()
                try:
                    size = int(size_txt, 16)
                except ValueError as exc:
                    raise StreamError(f"bad chunk size {size_txt[:20]!r}") from exc
                self._buf = self._buf[end + 2 :]
                if size == 0:
                    self.finished = True
                    break
                self._need = size + 2
            if len(self._buf) < self._need:
                break
            out += self._buf[: self._need - 2]
            self._buf = self._buf[self._need :]
            self._need = -1
        return bytes(out)


@dataclass(frozen=True)
class Event:
    data: str
    event: str = ""


class SseParser:
    """Incremental event-stream parser: feed bytes, get complete events."""

    def __init__(self) -> None:
        self._buf = ""
        self._data: list[str] = []
        self._event = ""
        self.comments = 0
        # A character split across two reads must not become two replacement characters.
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def feed(self, data: bytes | str) -> list[Event]:
        text = self._decoder.decode(data) if isinstance(data, bytes) else data
        self._buf += text
        if len(self._buf) > MAX_BUFFER:
            raise StreamError("event-stream line over 1 MiB")
        events: list[Event] = []
        lines = self._buf.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        self._buf = lines.pop()
        for line in lines:
            ev = self._line(line)
            if ev is not None:
                events.append(ev)
        return events

    def _line(self, line: str) -> Event | None:
        if line == "":
            if not self._data:
                self._event = ""
                return None
            ev = Event("\n".join(self._data), self._event)
            self._data, self._event = [], ""
            return ev
        if line.startswith(":"):
            self.comments += 1
            return None
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        return None  # id:, retry: and unknown fields are ignored, as the spec says


@dataclass(frozen=True)
class Chunk:
    """What one event contributed to the completion."""

    text: str = ""
    finish_reason: str = ""
    done: bool = False  # the `[DONE]` sentinel
    usage_completion_tokens: int | None = None
    error: str = ""  # an `{"error": ...}` event, or an event that is not a completion chunk


ERROR_KEEP = 2000


def chunk_of(event: Event, api: Api) -> Chunk:
    """Interpret one event's data as an OpenAI completion / chat completion chunk."""
    if event.data.strip() == "[DONE]":
        return Chunk(done=True)
    try:
        obj = json.loads(event.data)
    except ValueError:
        # Cut generously: the client redacts secrets and only then cuts to its own length.
        return Chunk(error=f"event is not JSON: {event.data[:ERROR_KEEP]!r}")
    if not isinstance(obj, dict):
        return Chunk(error="event JSON is not an object")
    if "error" in obj:
        return Chunk(error=f"server error event: {str(obj['error'])[:ERROR_KEEP]}")
    usage = obj.get("usage")
    ctoks = usage.get("completion_tokens") if isinstance(usage, dict) else None
    ctoks = ctoks if isinstance(ctoks, int) else None
    choices = obj.get("choices")
    if not isinstance(choices, list):
        return Chunk(error="chunk has no choices list", usage_completion_tokens=ctoks)
    if not choices:
        return Chunk(usage_completion_tokens=ctoks)  # usage-only chunk
    first = choices[0] if isinstance(choices[0], dict) else {}
    if api is Api.CHAT:
        delta = first.get("delta")
        text = delta.get("content") if isinstance(delta, dict) else None
    else:
        text = first.get("text")
    reason = first.get("finish_reason")
    return Chunk(
        text=text if isinstance(text, str) else "",
        finish_reason=reason if isinstance(reason, str) else "",
        usage_completion_tokens=ctoks,
    )


def parse_recorded(body: bytes, api: Api) -> list[Chunk]:
    """A whole recorded (de-chunked) stream → chunks; for tests and replay."""
    parser = SseParser()
    events = parser.feed(body)
    events += parser.feed("\n\n")  # a stream cut without its final blank line still counts
    return [chunk_of(e, api) for e in events]
