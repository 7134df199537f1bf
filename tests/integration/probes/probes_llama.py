"""A real OpenAI-compatible server for probe tests and bench/probe.py: llama-cpp-python's server
on a tiny random-weight GGUF written here with the `gguf` package (no download, ~400 KB)."""

from __future__ import annotations

import contextlib
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tests.support.net import free_port, stop

VOCAB = ["<unk>", "<s>", "</s>", "▁"] + [chr(c) for c in range(33, 127)]


def write_tiny_gguf(path: Path, seed: int = 7) -> Path:
    """llama architecture, n_embd 64, 4 heads, 2 layers, ff 128, ctx 512, printable-ASCII vocab."""
    import gguf
    import numpy as np

    rng = np.random.default_rng(seed)
    n_embd, n_head, n_layer, n_ff, n_vocab = 64, 4, 2, 128, len(VOCAB)
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_context_length(512)
    w.add_embedding_length(n_embd)
    w.add_block_count(n_layer)
    w.add_feed_forward_length(n_ff)
    w.add_head_count(n_head)
    w.add_head_count_kv(n_head)
    w.add_rope_dimension_count(n_embd // n_head)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_file_type(0)
    w.add_tokenizer_model("llama")
    w.add_token_list(VOCAB)
    w.add_token_scores([0.0] * n_vocab)
    types = [gguf.TokenType.UNKNOWN, gguf.TokenType.CONTROL, gguf.TokenType.CONTROL]
    w.add_token_types(types + [gguf.TokenType.NORMAL] * (n_vocab - 3))
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_unk_token_id(0)

    def t(name: str, *shape: int) -> None:
        w.add_tensor(name, (rng.standard_normal(shape) * 0.2).astype(np.float32))

    t("token_embd.weight", n_vocab, n_embd)
    w.add_tensor("output_norm.weight", np.ones(n_embd, dtype=np.float32))
    t("output.weight", n_vocab, n_embd)
    for i in range(n_layer):
        w.add_tensor(f"blk.{i}.attn_norm.weight", np.ones(n_embd, dtype=np.float32))
        w.add_tensor(f"blk.{i}.ffn_norm.weight", np.ones(n_embd, dtype=np.float32))
        for name in ("attn_q", "attn_k", "attn_v", "attn_output"):
            t(f"blk.{i}.{name}.weight", n_embd, n_embd)
        t(f"blk.{i}.ffn_gate.weight", n_ff, n_embd)
        t(f"blk.{i}.ffn_up.weight", n_ff, n_embd)
        t(f"blk.{i}.ffn_down.weight", n_embd, n_ff)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


@dataclass
class LlamaServer:
    proc: subprocess.Popen[bytes]
    host: str
    port: int
    log: Path
    scheme: str = "http"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    def stop(self) -> None:
        """SIGCONT first (a stopped process ignores SIGTERM until continued), then terminate."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGCONT)
        stop(self.proc)

    def pause(self) -> None:
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.proc.pid, signal.SIGCONT)


def start_server(
    model: Path, workdir: Path, host: str = "127.0.0.1", port: int = 0,
    netns: str = "", python: str = sys.executable, timeout_s: float = 60,
    tls: tuple[Path, Path] | None = None, api_key: str = "",
) -> LlamaServer:  # fmt: skip
    """Start `python -m llama_cpp.server` and wait until /v1/models answers (any HTTP status).

    tls: (certfile, keyfile) to serve HTTPS; api_key: demand `Authorization: Bearer KEY`."""
    port = port or (8000 if netns else free_port(host))  # a fresh namespace has every port free
    log = workdir / f"llama-{host}-{port}.log"
    argv = [python, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", "tiny",
            "--host", host, "--port", str(port), "--n_ctx", "256", "--n_threads", "1",
            "--interrupt_requests", "False"]  # fmt: skip
    if tls:
        argv += ["--ssl_certfile", str(tls[0]), "--ssl_keyfile", str(tls[1])]
    if api_key:
        argv += ["--api_key", api_key]
    if netns:
        argv = ["ip", "netns", "exec", netns, *argv]
    with open(log, "wb") as fh:
        proc = subprocess.Popen(argv, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
    srv = LlamaServer(proc, host, port, log, "https" if tls else "http")
    ctx = ssl._create_unverified_context() if tls else None  # readiness only, not the probe
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"llama server exited {proc.returncode}: {log.read_text()[-800:]}")
        try:
            with urllib.request.urlopen(f"{srv.url}/v1/models", timeout=1, context=ctx):
                return srv
        except urllib.error.HTTPError:
            return srv  # it answers (401 with --api_key)
        except OSError:
            time.sleep(0.1)
    srv.stop()
    raise RuntimeError(f"llama server not ready in {timeout_s} s: {log.read_text()[-800:]}")
