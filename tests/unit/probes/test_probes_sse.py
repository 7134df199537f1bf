"""The SSE and chunked parsers on recorded streams (a real llama.cpp capture and engine shapes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from probes.sse import ChunkedDecoder, SseParser, StreamError, chunk_of, parse_recorded
from schemas.probe import Api

FIX = Path(__file__).parents[2] / "fixtures" / "probes" / "sse"


def dechunk(raw: bytes, step: int) -> bytes:
    dec = ChunkedDecoder()
    out = b"".join(dec.feed(raw[i : i + step]) for i in range(0, len(raw), step))
    assert dec.finished
    return out


@pytest.mark.parametrize("step", [1, 7, 65536])
def test_recorded_llama_cpp_completions_stream(step: int) -> None:
    body = dechunk((FIX / "llama_cpp_completions.chunked").read_bytes(), step)
    chunks = parse_recorded(body, Api.COMPLETIONS)
    texts = [c.text for c in chunks if c.text]
    assert len(texts) == 4  # recorded with max_tokens=4 and EOS biased away
    assert chunks[-1].done
    assert [c.finish_reason for c in chunks if c.finish_reason] == ["length"]


def test_recorded_llama_cpp_chat_role_chunk_is_empty() -> None:
    body = dechunk((FIX / "llama_cpp_chat.chunked").read_bytes(), 13)
    chunks = parse_recorded(body, Api.CHAT)
    assert chunks[0].text == "" and not chunks[0].error  # role-only first chunk
    assert chunks[-1].done
    assert sum(1 for c in chunks if c.text) >= 1


def test_vllm_shape_comments_empty_chunks_usage_and_done() -> None:
    parser = SseParser()
    raw = (FIX / "vllm_chat_usage.sse").read_bytes()
    events = [e for i in range(0, len(raw), 5) for e in parser.feed(raw[i : i + 5])]
    assert parser.comments == 2
    chunks = [chunk_of(e, Api.CHAT) for e in events]
    assert [c.text for c in chunks if c.text] == ["O", "K"]
    assert chunks[3].finish_reason == "stop"
    assert chunks[4].usage_completion_tokens == 2 and chunks[4].text == ""
    assert chunks[5].done and not any(c.error for c in chunks)


def test_garbage_event_is_an_error_not_a_crash() -> None:
    chunks = parse_recorded((FIX / "garbage.sse").read_bytes(), Api.COMPLETIONS)
    assert chunks[0].text == "he"
    assert "not JSON" in chunks[1].error


def test_server_error_event() -> None:
    chunks = parse_recorded((FIX / "error_event.sse").read_bytes(), Api.COMPLETIONS)
    assert "illegal memory access" in chunks[0].error


def test_multiline_data_fields_and_missing_final_blank_line() -> None:
    chunks = parse_recorded((FIX / "multiline_no_trailing_blank.sse").read_bytes(), Api.COMPLETIONS)
    assert chunks[0].text == "a" and chunks[0].finish_reason == "length"
    assert chunks[1].done


@pytest.mark.parametrize(
    "data",
    ["[]", "42", '{"choices": "x"}', '{"choices": [7]}', '{"choices":[{"text": 5}]}'],
)
def test_odd_json_shapes(data: str) -> None:
    from probes.sse import Event

    c = chunk_of(Event(data), Api.COMPLETIONS)
    assert c.text == ""


def test_chunked_rejects_bad_size_and_long_lines() -> None:
    with pytest.raises(StreamError):
        ChunkedDecoder().feed(b"zz\r\nabc\r\n")
    with pytest.raises(StreamError):
        ChunkedDecoder().feed(b"1" * 2000)


def test_chunk_extensions_and_split_crlf() -> None:
    dec = ChunkedDecoder()
    assert dec.feed(b"3;ext=1\r\nab") == b""
    assert dec.feed(b"c\r") == b""
    assert dec.feed(b"\n0\r\n\r\n") == b"abc"
    assert dec.finished


def test_oversized_line_is_rejected() -> None:
    with pytest.raises(StreamError):
        SseParser().feed(b"data: " + b"x" * (2 << 20))


def test_utf8_split_across_reads() -> None:
    raw = 'data: {"choices":[{"text":"héllo ✓"}]}\n\n'.encode()
    parser = SseParser()
    events = [e for i in range(len(raw)) for e in parser.feed(raw[i : i + 1])]
    assert chunk_of(events[0], Api.COMPLETIONS).text == "héllo ✓"


@pytest.mark.parametrize(
    ("name", "api"),
    [
        ("h100_transformers_completions.chunked", Api.COMPLETIONS),
        ("h100_transformers_chat.chunked", Api.CHAT),
    ],
)
def test_recorded_h100_stream(name: str, api: Api) -> None:
    """Streams recorded on the device H100 from tests/device/gpu_openai_server.py (tokens
    generated on the GPU by transformers), fetched with `curl --raw` so the chunking is real."""
    body = dechunk((FIX / name).read_bytes(), 5)
    chunks = parse_recorded(body, api)
    assert sum(1 for c in chunks if c.text) == 8  # max_tokens=8, one token per event
    assert [c.finish_reason for c in chunks if c.finish_reason] == ["length"]
    assert chunks[-1].done and not any(c.error for c in chunks)


def test_recorded_h100_probe_envelopes_validate() -> None:
    """The probe envelopes `diagctl probe run` printed on the H100 (healthy, then server killed)
    still validate against today's models."""
    from schemas.probe import ProbeEnvelope

    dev = FIX.parent / "device"
    healthy = [
        ProbeEnvelope.model_validate_json(x)
        for x in (dev / "h100_healthy_round.jsonl").read_text().splitlines()
    ]
    assert {e.data.verdict.value for e in healthy if e.data.verdict} == {"healthy"}
    assert all(e.data.timings.tokens == 8 for e in healthy)
    down = [
        ProbeEnvelope.model_validate_json(x)
        for x in (dev / "h100_down_round.jsonl").read_text().splitlines()
        if '"probe.result"' in x
    ]
    assert {e.data.verdict.value for e in down if e.data.verdict} == {"down"}
