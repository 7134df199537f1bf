"""From one probe's outcome to healthy / slow / zombie / down. Pure."""

from __future__ import annotations

from probes.client import TEXT_KEEP, Outcome
from schemas.probe import GroupConfig, ProbeTarget, Verdict

VALID_FINISH = {"stop", "length", "eos", "max_tokens"}


def judge(out: Outcome, target: ProbeTarget, cfg: GroupConfig) -> tuple[Verdict, str]:
    """The verdict and a one-line reason.

    down:   no TCP connection (refused, unreachable, connect timeout) or HTTP 5xx.
    zombie: connected, but no valid generation by the deadline: silence, a 4xx, a broken
            stream, too few tokens, no finish_reason, or text that differs from the golden text.
    slow:   a valid generation, but TTFT or the largest inter-token gap over budget.
    """
    tm = out.timings
    if not out.connected:
        return Verdict.DOWN, tm.error or "no connection"
    if tm.http_status >= 500:
        return Verdict.DOWN, f"HTTP {tm.http_status}"
    if tm.http_status and tm.http_status != 200:
        return Verdict.ZOMBIE, f"HTTP {tm.http_status}: no generation"
    if tm.tokens < target.min_tokens:
        why = "deadline passed" if out.deadline_hit else (tm.error or "stream ended")
        return Verdict.ZOMBIE, f"{tm.tokens} token(s) < {target.min_tokens}: {why}"
    if out.stream_error:
        return Verdict.ZOMBIE, f"broken stream after {tm.tokens} token(s): {out.stream_error}"
    if out.deadline_hit:
        return Verdict.SLOW, f"{tm.tokens} token(s) but not finished within {cfg.deadline_s:g} s"
    if tm.finish_reason not in VALID_FINISH:
        return Verdict.ZOMBIE, f"finish_reason {tm.finish_reason!r} (stream cut?)"
    if target.golden_text is not None and tm.text != target.golden_text[:TEXT_KEEP]:
        return Verdict.ZOMBIE, f"text differs from golden: {tm.text[:40]!r}"
    over = _over_budget(out, cfg)
    if over:
        return Verdict.SLOW, over
    return Verdict.HEALTHY, f"{tm.tokens} tokens, TTFT {tm.ttft_ms} ms"


def busy_override(out: Outcome, verdict: Verdict, reason: str) -> tuple[Verdict, str, bool]:
    """A zombie verdict while the engine's generation counter rose is `slow` (busy), and is
    not counted as a failure. Returns (verdict, reason, skipped_busy)."""
    before, after = out.gen_tokens_before, out.gen_tokens_after
    if verdict is Verdict.ZOMBIE and before is not None and after is not None and after > before:
        why = f"engine busy: generated {after - before:g} tokens for others; {reason}"
        return Verdict.SLOW, why, True
    return verdict, reason, False


def _over_budget(out: Outcome, cfg: GroupConfig) -> str:
    tm = out.timings
    if tm.ttft_ms is not None and tm.ttft_ms > cfg.ttft_budget_ms:
        return f"TTFT {tm.ttft_ms:.0f} ms > {cfg.ttft_budget_ms:g} ms"
    if tm.itl_ms_max is not None and tm.itl_ms_max > cfg.itl_budget_ms:
        return f"inter-token gap {tm.itl_ms_max:.0f} ms > {cfg.itl_budget_ms:g} ms"
    return ""


FAILING = {Verdict.ZOMBIE, Verdict.DOWN}
