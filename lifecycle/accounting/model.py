"""The Model-Unit formula, for one request. Pure.

MU = a_in × uncached input + a_cached × cached input + a_out × output tokens, times the pair's
context factor when the input is longer than its threshold. 1 MU is one second of the
reference GPU at the calibrated operating point; a node's capacity is MU per second.
"""

from __future__ import annotations

from dataclasses import dataclass

from schemas.mu import Pair


@dataclass(frozen=True)
class Usage:
    """One request's token counts; `cached_tokens` are part of `prompt_tokens`."""

    prompt_tokens: int
    cached_tokens: int
    output_tokens: int


def request_mu(pair: Pair, usage: Usage) -> float:
    uncached = usage.prompt_tokens - usage.cached_tokens
    mu = (
        pair.a_in * uncached
        + pair.a_cached * usage.cached_tokens
        + pair.a_out * usage.output_tokens
    )
    return mu * context_factor(pair, usage.prompt_tokens)


def context_factor(pair: Pair, prompt_tokens: int) -> float:
    """The pair's factor above its threshold (strictly longer inputs), else 1."""
    ctx = pair.context
    if ctx is None or prompt_tokens <= ctx.threshold_tokens:
        return 1.0
    return ctx.factor


def output_input_ratio(pair: Pair) -> float | None:
    """a_out / a_in: publicly seen between 2 and 10 (Azure PTU 4-8x, Vertex GSU 3-4x)."""
    return pair.a_out / pair.a_in if pair.a_in > 0 else None


RATIO_LOW, RATIO_HIGH = 2.0, 10.0


def ratio_warning(pair: Pair) -> str:
    """A warning when a_out/a_in lies outside 2-10x; empty when inside."""
    ratio = output_input_ratio(pair)
    if ratio is None:
        return f"{pair.model} × {pair.hardware}: a_in is 0, output:input cost ratio undefined"
    if RATIO_LOW <= ratio <= RATIO_HIGH:
        return ""
    return (
        f"{pair.model} × {pair.hardware}: a_out/a_in = {ratio:.3g}, outside the publicly "
        f"seen {RATIO_LOW:g}-{RATIO_HIGH:g}x; check the sweep"
    )
