"""A calibration sweep: streamed requests of several prompt and output lengths against an
OpenAI-compatible endpoint (the probe client), one at a time, timed: time to first token is the
prefill, the rest the decode.

The prompt's token count comes from the endpoint itself (`usage.prompt_tokens` of a
one-token, non-streamed request), never from a guess about its tokenizer.
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from diag import redact
from diag.errors import UsageError
from lifecycle.accounting.fit import Point
from probes.client import probe
from schemas.probe import ProbeTarget

WORD = "x "  # repeated: a prompt whose length grows linearly in every tokenizer
HTTP_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class SweepSpec:
    url: str
    model: str
    prompt_words: tuple[int, ...] = (16, 64, 256)
    output_tokens: tuple[int, ...] = (8, 32, 96)
    repeat: int = 2
    deadline_s: float = 120.0
    ignore_eos: bool = False
    api_key_env: str = ""


def _get_json(url: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT_S) as resp:
        return json.loads(resp.read(1 << 20))


def prompt_tokens(spec: SweepSpec, prompt: str) -> int:
    """The endpoint's own count of `prompt`'s tokens."""
    body = {"model": spec.model, "prompt": prompt, "max_tokens": 1, "temperature": 0}
    try:
        doc = _get_json(spec.url + "/v1/completions", body)
        count = doc["usage"]["prompt_tokens"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        why = redact.text(f"{type(exc).__name__}: {exc}")[:200]
        raise UsageError(
            f"calibrate {redact.url(spec.url)}: cannot count prompt tokens: {why}"
        ) from None
    if not isinstance(count, int) or count < 1:
        raise UsageError(
            f"calibrate {redact.url(spec.url)}: usage.prompt_tokens {count!r} is not a count"
        )
    return count


def engine_info(url: str) -> tuple[str, str]:
    """(engine, version) as the endpoint says: vLLM and SGLang answer /version, OpenAI-style
    servers name their owner in /v1/models; empty where the endpoint does not say."""
    engine = version = ""
    try:
        doc = _get_json(url + "/version")
        version = str(doc.get("version", ""))[:64] if isinstance(doc, dict) else ""
    except (OSError, ValueError):
        pass
    try:
        models = _get_json(url + "/v1/models").get("data") or [{}]
        engine = str(models[0].get("owned_by", ""))[:64]
    except (OSError, ValueError, AttributeError, IndexError):
        pass
    return engine, version


def _target(spec: SweepSpec, prompt: str, out: int) -> ProbeTarget:
    return ProbeTarget(
        name="calibrate",
        url=spec.url,
        model=spec.model,
        node="calibrate",
        prompt=prompt,
        max_tokens=out,
        min_tokens=1,
        ignore_eos=spec.ignore_eos,
        api_key_env=spec.api_key_env,
    )


def unique_prompt(i: int, words: int) -> str:
    """`words` words that start differently for every request `i`: engines with a prefix cache
    (vLLM, SGLang, llama.cpp) would otherwise serve a repeated prompt from the cache and the
    prefill would look free."""
    head = "".join(chr(97 + (i // 26**k) % 26) for k in range(3))
    return f"{head} " + WORD * max(words - 1, 0)


def measure(spec: SweepSpec, prompt: str, out: int) -> Point | str:
    """One streamed request, then its prompt counted (after, so the count cannot warm a cache
    for the timed request): a Point, or why there is none."""
    res = asyncio.run(probe(_target(spec, prompt, out), spec.deadline_s, 10.0))
    tm = res.timings
    if tm.error or tm.ttft_ms is None:
        return tm.error or "no token streamed"
    n = tm.usage_completion_tokens or tm.tokens
    e2e_s = (tm.e2e_ms - (tm.connect_ms or 0)) / 1000
    return Point(prompt_tokens(spec, prompt), n, tm.ttft_ms / 1000, e2e_s)


def run_sweep(spec: SweepSpec, progress: Callable[[str], None] = lambda _: None) -> list[Point]:
    """Every prompt length × output length, `repeat` times, sequentially (concurrency 1)."""
    points: list[Point] = []
    i = 0
    for words in spec.prompt_words:
        for out in spec.output_tokens:
            for _ in range(spec.repeat):
                got = measure(spec, unique_prompt(i, words), out)
                i += 1
                if isinstance(got, str):
                    progress(f"prompt {words} words / output {out}: skipped: {got}")
                else:
                    points.append(got)
    return points
