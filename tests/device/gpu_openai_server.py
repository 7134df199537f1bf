#!/usr/bin/env python3
"""A minimal OpenAI-compatible streaming server whose tokens come from a real GPU.

Used only on the `device` machine (an H100) to verify `diagctl probe run` against token
generation that really runs on a GPU: no vLLM, SGLang or CUDA build of llama.cpp can be
installed there (no network), so the HTTP layer is this file, and the model is a tiny Llama
built by `transformers` with random weights (no download) and run greedily on CUDA, one
`forward` per token with the KV cache, synchronised before each token is sent.
The vocabulary is printable ASCII (token id = code point), so no tokenizer is needed.
Not part of the test suite (CI has no GPU); see docs/benchmarks.md, "Token probe on a real GPU".

`--size 1b` / `--size 8b` build a ~1.1B / ~8B-parameter Llama (bf16; the 8B one shaped like
Llama-3-8B: hidden 4096, 32 layers, 8 KV heads) instead of the tiny default, so prefill and
decode cost what a production model costs; the 8B one is what `diagctl mu calibrate` was run
against on the H200 (docs/model-units.md). A request with
`stream_options: {"include_usage": true}` gets a final chunk with the OpenAI `usage` object
(one token per prompt character), as vLLM sends it.

Usage: python3 gpu_openai_server.py --port 8090 [--host 127.0.0.1] [--size tiny|1b]
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import torch
from transformers import LlamaConfig, LlamaForCausalLM

MODEL = "tiny-gpu"
LOCK = threading.Lock()  # one generation at a time, like a single engine step loop


SIZES = {
    "tiny": {
        "hidden_size": 256,
        "intermediate_size": 512,
        "num_hidden_layers": 4,
        "num_attention_heads": 4,
        "num_key_value_heads": 4,
    },
    "1b": {
        "hidden_size": 2048,
        "intermediate_size": 5632,
        "num_hidden_layers": 16,
        "num_attention_heads": 16,
        "num_key_value_heads": 16,
    },
    "8b": {
        "hidden_size": 4096,
        "intermediate_size": 14336,
        "num_hidden_layers": 32,
        "num_attention_heads": 32,
        "num_key_value_heads": 8,
    },
}


def build_model(size: str = "tiny") -> LlamaForCausalLM:
    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=128, max_position_embeddings=32768, **SIZES[size])
    dtype = torch.float16 if size == "tiny" else torch.bfloat16
    torch.set_default_dtype(dtype)
    with torch.device("cuda"):  # random weights made on the GPU: an 8B model in seconds
        model = LlamaForCausalLM(cfg)
    return model.eval()


def tokens(model: LlamaForCausalLM, prompt: str, max_tokens: int):  # type: ignore[no-untyped-def]
    ids = torch.tensor([[min(max(ord(c), 32), 126) for c in prompt] or [32]], device="cuda")
    past = None
    with torch.inference_mode():
        for _ in range(max_tokens):
            out = model(input_ids=ids, past_key_values=past, use_cache=True)
            past = out.past_key_values
            logits = out.logits[0, -1, 32:127]  # printable ASCII only
            nxt = int(torch.argmax(logits)) + 32
            torch.cuda.synchronize()
            yield chr(nxt)
            ids = torch.tensor([[nxt]], device="cuda")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    model: LlamaForCausalLM

    def log_message(self, *_args: object) -> None:
        return

    def _send_json(self, code: int, doc: object) -> None:
        body = json.dumps(doc).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/version":
            self._send_json(200, {"version": f"gpu-openai-server torch {torch.__version__}"})
        elif self.path == "/v1/models":
            self._send_json(200, {"object": "list", "data": [{"id": MODEL, "object": "model"}]})
        else:
            self._send_json(404, {"error": {"message": "not found"}})

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _whole(self, chat: bool, prompt: str, n: int) -> None:
        """A non-streamed answer with its `usage` (what clients use to count prompt tokens)."""
        with LOCK:
            text = "".join(tokens(self.model, prompt, n))
        choice: dict[str, object] = {"index": 0, "finish_reason": "length"}
        if chat:
            choice["message"] = {"role": "assistant", "content": text}
        else:
            choice["text"] = text
        p = max(len(prompt), 1)
        usage = {"prompt_tokens": p, "completion_tokens": len(text), "total_tokens": p + len(text)}
        kind = "chat.completion" if chat else "text_completion"
        doc = {
            "id": f"cmpl-{time.monotonic_ns()}",
            "object": kind,
            "created": int(time.time()),
            "model": MODEL,
            "choices": [choice],
            "usage": usage,
        }
        self._send_json(200, doc)

    def do_POST(self) -> None:
        chat = self.path == "/v1/chat/completions"
        if self.path not in ("/v1/completions", "/v1/chat/completions"):
            self._send_json(404, {"error": {"message": "not found"}})
            return
        req = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        prompt = req["messages"][-1]["content"] if chat else req.get("prompt", "")
        n = int(req.get("max_tokens", 16))
        usage_wanted = bool((req.get("stream_options") or {}).get("include_usage"))
        if not req.get("stream"):
            self._whole(chat, prompt, n)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        kind = "chat.completion.chunk" if chat else "text_completion"
        rid, created = f"cmpl-{time.monotonic_ns()}", int(time.time())

        def event(text: str | None, finish: str | None) -> bytes:
            choice: dict[str, object] = {"index": 0, "finish_reason": finish}
            if chat:
                choice["delta"] = {} if text is None else {"content": text}
            else:
                choice["text"] = text or ""
            doc = {
                "id": rid,
                "object": kind,
                "created": created,
                "model": MODEL,
                "choices": [choice],
            }
            return b"data: " + json.dumps(doc).encode() + b"\n\n"

        sent = 0
        with LOCK:
            for text in tokens(self.model, prompt, n):
                self._chunk(event(text, None))
                sent += 1
        self._chunk(event(None, "length"))
        if usage_wanted:
            usage = {
                "prompt_tokens": max(len(prompt), 1),
                "completion_tokens": sent,
                "total_tokens": max(len(prompt), 1) + sent,
            }
            doc = {
                "id": rid,
                "object": kind,
                "created": created,
                "model": MODEL,
                "choices": [],
                "usage": usage,
            }
            self._chunk(b"data: " + json.dumps(doc).encode() + b"\n\n")
        self._chunk(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8090)
    ap.add_argument("--size", choices=sorted(SIZES), default="tiny")
    args = ap.parse_args()
    global MODEL
    MODEL = "tiny-gpu" if args.size == "tiny" else f"llama-{args.size}-random"
    Handler.model = build_model(args.size)
    list(tokens(Handler.model, "warm up", 4))
    ThreadingHTTPServer((args.host, args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
