"""The token probe as a phase step: ONE streamed generation request against the node's
OpenAI-compatible endpoint with the probes' own client (probes.client.probe) and verdict
(probes.verdict.judge), recorded as the `probe` step the accept, service, return and resolve
gates read (lifecycle/evidence.py).

healthy -> pass; slow (a valid generation over the TTFT or inter-token budget) -> warn, which
the gates count as passed, as the probes do (slow is never cordoned); zombie (connected, no
valid generation by the deadline: a paused or wedged server) and down (no connection, HTTP
5xx) -> fail, the verdict's reason in the finding and the step.

The endpoint URL may hold a password (`http://user:pass@node:8000`): it is sent as basic auth
and shown everywhere (finding, registry evidence, messages) as `probes.client.redact_url`
writes it; error text the endpoint returns is redacted by the client at the source.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from diag.errors import UsageError
from schemas.envelope import Finding, Severity, Status
from schemas.lifecycle import EvidencePointer
from schemas.probe import Api, GroupConfig, ProbeTarget, Verdict

if TYPE_CHECKING:
    from diag.transport.base import Target
    from lifecycle.receive import Outcome as StepOutcome
    from lifecycle.receive import Step
    from probes.client import Outcome

PROBE = "lifecycle.probe"
HOST = "{host}"  # in --probe-url: the host's address (one URL serves a whole inventory)
_RESULT: dict[Verdict, tuple[StepOutcome, Status]] = {
    Verdict.HEALTHY: ("pass", Status.PASS),
    Verdict.SLOW: ("warn", Status.WARN),
    Verdict.ZOMBIE: ("fail", Status.FAIL),
    Verdict.DOWN: ("fail", Status.FAIL),
}


@dataclass(frozen=True)
class ProbeSpec:
    """What `--probe-*` asked for; `url` may contain {host}."""

    url: str
    model: str
    api: Api = Api.COMPLETIONS
    max_tokens: int = 8
    deadline_s: float = 10.0
    ttft_budget_ms: float = 2000.0
    api_key_env: str = ""


def target_for(spec: ProbeSpec, host: Target) -> ProbeTarget:
    """The probe target for one host; a bad URL or model is a UsageError that never quotes
    the URL (it may hold a password)."""
    url = spec.url.replace(HOST, host.address or "127.0.0.1")
    try:
        return ProbeTarget(
            name=host.name,
            url=url,
            model=spec.model,
            node=host.vars.get("node") or "node",
            api=spec.api,
            max_tokens=spec.max_tokens,
            api_key_env=spec.api_key_env,
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "probe"
        raise UsageError(f"--probe-{field.replace('_', '-')}: {err['msg']}") from None


def group_for(spec: ProbeSpec) -> GroupConfig:
    ttft = min(spec.ttft_budget_ms, spec.deadline_s * 1000)
    return GroupConfig(
        deadline_s=spec.deadline_s,
        connect_timeout_s=min(3.0, spec.deadline_s),
        ttft_budget_ms=ttft,
        itl_budget_ms=min(1000.0, spec.deadline_s * 1000),
    )


def tokens_per_s(out: Outcome) -> float | None:
    """Streamed tokens per second from the request being sent to the stream's end."""
    tm = out.timings
    busy_ms = tm.e2e_ms - (tm.connect_ms or 0)
    return round(tm.tokens * 1000 / busy_ms, 1) if tm.tokens and busy_ms > 0 else None


def judged(t: ProbeTarget, out: Outcome, cfg: GroupConfig) -> tuple[Step, Finding]:
    """One probe's outcome as the `probe` step and its finding. Pure."""
    from lifecycle.receive import Step
    from probes.client import redact_url
    from probes.verdict import judge

    verdict, reason = judge(out, t, cfg)
    outcome, status = _RESULT[verdict]
    url, tm = redact_url(t.url), out.timings
    rate = tokens_per_s(out)
    observed: dict[str, Any] = {
        "verdict": verdict.value,
        "url": url,
        "model": t.model,
        "http_status": tm.http_status,
        "ttft_ms": tm.ttft_ms,
        "tokens": tm.tokens,
        "tokens_per_s": rate,
    }
    msg = f"token probe {verdict.value}: {reason}"
    timing = f"TTFT {tm.ttft_ms} ms, {rate} tokens/s" if tm.ttft_ms is not None else "no token"
    note = f"{msg}; model {t.model}, {timing}"
    ptr = EvidencePointer(kind="note", path=url, note=note[:1000])
    sev = {Status.PASS: Severity.INFO, Status.FAIL: Severity.HIGH}.get(status, Severity.MEDIUM)
    finding = Finding(
        check_id=PROBE, status=status, severity=sev, entity=url, message=msg, observed=observed
    )
    return Step("probe", outcome, msg, [ptr]), finding


async def _all(spec: ProbeSpec, hosts: Sequence[Target]) -> list[tuple[Step, Finding]]:
    from probes.client import probe

    cfg = group_for(spec)
    targets = [target_for(spec, h) for h in hosts]  # every URL checked before any request
    outs = await asyncio.gather(*(probe(t, cfg.deadline_s, cfg.connect_timeout_s) for t in targets))
    return [judged(t, o, cfg) for t, o in zip(targets, outs, strict=True)]


async def probe_one(spec: ProbeSpec, host: Target) -> tuple[Step, Finding]:
    """One probe of one host (inside a running event loop: maintain's post-check)."""
    return (await _all(spec, [host]))[0]


def run_probes(spec: ProbeSpec, hosts: Sequence[Target]) -> dict[str, tuple[Step, Finding]]:
    """One probe per host, all at once (each bounded by the deadline); never raises per host."""
    return dict(zip((h.name for h in hosts), asyncio.run(_all(spec, hosts)), strict=True))


def check_spec(spec: ProbeSpec, hosts: Sequence[Target]) -> None:
    """Bad probe options are exit 2 before any host is touched."""
    for h in hosts:
        target_for(spec, h)
