"""Building `probe.result` and `probe.audit` envelopes and audit records from a round."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

import diag
from diag import redact
from diag.envelope import finalize, utc_now
from probes.client import redact_url
from probes.plan import GroupGuard
from schemas.envelope import Action, ErrorCode, ErrorInfo, Finding, HostRef, Severity, Status
from schemas.probe import (
    ActionKind,
    ActionResult,
    AuditEnvelope,
    AuditRecord,
    Backend,
    GroupConfig,
    ProbeData,
    ProbeEnvelope,
    ProbeTarget,
    Verdict,
)

M = TypeVar("M", bound=BaseModel)


def redacted(model: M) -> M:
    """A copy with every string redacted (diag.redact: URL credentials, token shapes, and the
    literal secrets of the run, declared by the caller with `redact.known`)."""
    return type(model).model_validate(redact.obj(model.model_dump(mode="json")))


STATUS = {
    Verdict.HEALTHY: Status.PASS,
    Verdict.SLOW: Status.WARN,
    Verdict.ZOMBIE: Status.FAIL,
    Verdict.DOWN: Status.UNREACHABLE,
}
SEVERITY = {
    Verdict.HEALTHY: Severity.INFO,
    Verdict.SLOW: Severity.MEDIUM,
    Verdict.ZOMBIE: Severity.CRITICAL,
    Verdict.DOWN: Severity.HIGH,
}


def interrupted_envelope(t: ProbeTarget, started: str, act: bool) -> ProbeEnvelope:
    """A target the run was stopped (Ctrl-C, SIGTERM) before judging: it is still accounted for."""
    data = ProbeData(target=t.name, url=redact_url(t.url), model=t.model, node=t.node,
                     group=t.group, api=t.api, dry_run=not act)  # fmt: skip
    return redacted(
        ProbeEnvelope(
            kind="probe.result",
            tool_version=diag.__version__,
            host=HostRef(name=t.name, address=data.url, hostname=t.node),
            ok=False,
            status=Status.UNKNOWN,  # we stopped; nothing is known of the target
            errors=[
                ErrorInfo(
                    code=ErrorCode.INTERRUPTED,
                    message="run interrupted before this target's result was reported",
                    hint="actions already taken are in the audit log; rerun to finish the round",
                )
            ],
            collected_at=started,
            duration_ms=0,
            data=data,
        )
    )


def probe_envelope(data: ProbeData, cfg: GroupConfig, started: str) -> ProbeEnvelope:
    assert data.verdict is not None
    tm = data.timings
    finding = Finding(
        check_id="probe.generation",
        status=STATUS[data.verdict],
        severity=SEVERITY[data.verdict],
        entity=data.node,
        observed={"ttft_ms": tm.ttft_ms, "itl_ms_max": tm.itl_ms_max, "tokens": tm.tokens},
        threshold={
            "ttft_budget_ms": cfg.ttft_budget_ms,
            "itl_budget_ms": cfg.itl_budget_ms,
            "deadline_s": cfg.deadline_s,
        },
        threshold_source=f"targets file, group {data.group!r}",
        message=f"{data.verdict.value}: {data.reason}",
        action=Action.ISOLATE if data.action is ActionKind.CORDON else Action.NONE,
    )
    env = ProbeEnvelope(
        kind="probe.result",
        tool_version=diag.__version__,
        host=HostRef(name=data.target, address=data.url, hostname=data.node),
        ok=False,
        status=STATUS[data.verdict],
        findings=[finding],
        collected_at=started,
        duration_ms=int(tm.e2e_ms),
        data=data,
    )
    if data.verdict is Verdict.DOWN:
        code = ErrorCode.TIMEOUT if "Timeout" in tm.error else ErrorCode.UNREACHABLE
        env.errors.append(ErrorInfo(code=code, message=tm.error or data.reason))
    if data.action_result is ActionResult.FAILED:
        env.errors.append(ErrorInfo(code=ErrorCode.ACTION_FAILED, message=data.action_message))
    env = redacted(env)
    finalize(env)
    if data.verdict is Verdict.DOWN:
        env.status, env.ok = Status.UNREACHABLE, False
    return env


def audit_record(
    action: ActionKind,
    who: str,
    node: str,
    group: str,
    backend: Backend,
    why: str,
    evidence: dict[str, Any],
    dry_run: bool,
    result: ActionResult,
    message: str = "",
) -> AuditRecord:
    return redacted(
        AuditRecord(
            at=utc_now(),
            who=who,
            action=action,
            node=node,
            group=group,
            backend=backend,
            why=why,
            evidence=evidence,
            dry_run=dry_run,
            result=result,
            message=message,
        )
    )


def breaker_evidence(g: GroupGuard) -> dict[str, Any]:
    return {
        "group_size": g.size,
        "limit": g.limit,
        "cordoned_in_window_or_held": g.used,
        "wanted_this_round": g.wanted,
        "nodes": g.nodes,
    }


def audit_envelope(rec: AuditRecord) -> AuditEnvelope:
    if rec.result is ActionResult.FAILED:
        status = Status.ERROR
    elif rec.action is ActionKind.BREAKER or rec.result is ActionResult.BLOCKED:
        status = Status.FAIL
    elif rec.action is ActionKind.RESUMED_ELSEWHERE:
        status = Status.WARN
    else:
        status = Status.PASS
    env = AuditEnvelope(
        kind="probe.audit",
        tool_version=diag.__version__,
        host=HostRef(name=rec.node or f"group:{rec.group}", hostname=rec.node),
        ok=status is Status.PASS,
        status=status,
        collected_at=rec.at,
        duration_ms=0,
        data=rec,
    )
    if rec.action is ActionKind.BREAKER:
        env.errors.append(
            ErrorInfo(
                code=ErrorCode.BREAKER_TRIPPED,
                message=rec.message,
                hint="check the probe path and network first; raise max_cordon_* only on purpose",
            )
        )
    return env
