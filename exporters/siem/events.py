"""The neutral event every SIEM format is rendered from, and the projection table.

`PROJECTIONS` maps an envelope kind to a function that turns one envelope into events; a new
kind is one entry. Data of kinds still being built (bundle, reset_reason) is read
defensively: a missing or mistyped field becomes empty, never an exception.

Event ids are a hash of what identifies the event (kind, type, host, collected_at, check,
entity...), so sending the same envelope twice yields the same ids: a SIEM that deduplicates on
`event.id` / `metadata.uid` / HEC fields sees one event (at-least-once delivery, idempotent).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from diag import redact
from exporters.kinds_read import first_str, from_phase, to_phase
from schemas.envelope import Envelope, Finding, HostRef, Status

# Our status -> a severity when the envelope names none (findings carry their own).
STATUS_SEVERITY = {
    "pass": "info",
    "not_applicable": "info",
    "unknown": "low",
    "warn": "medium",
    "error": "medium",
    "fail": "high",
    "unreachable": "high",
}
QUIET = frozenset({Status.PASS, Status.NOT_APPLICABLE})  # findings not exported as events


@dataclass(frozen=True)
class Event:
    """One SIEM event, format-neutral. `fields` holds kind-specific values (flat, JSON)."""

    id: str
    source_kind: str  # the envelope kind: health.l1, probe.result, ...
    type: str  # finding | host_run | probe_verdict | state_change | audit | bundle | reset_reason
    at: str  # RFC 3339 UTC: the envelope's collected_at (or the audit record's time)
    host: HostRef
    tool_version: str
    status: str
    severity: str  # info | low | medium | high | critical
    title: str
    message: str
    check_id: str = ""
    entity: str = ""
    action: str = ""
    outcome: str = "unknown"  # success | failure | unknown (ECS event.outcome)
    fields: dict[str, Any] = field(default_factory=dict)


def event_id(*parts: str) -> str:
    """32 hex digits of SHA-256 over the identifying parts (NUL-separated: no ambiguity)."""
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _base(env: Envelope, type_: str, *key: str, **kw: Any) -> Event:
    ident = event_id(env.kind, type_, env.host.name, env.host.host_id, env.collected_at, *key)
    status = kw.pop("status", env.status.value)
    kw.setdefault("severity", STATUS_SEVERITY.get(status, "low"))
    return Event(ident, env.kind, type_, env.collected_at, env.host, env.tool_version,
                 status, **kw)  # fmt: skip


def host_run(env: Envelope) -> Event:
    """One summary event per envelope: the host's verdict, counts and error codes."""
    s = env.summary
    codes = [e.code.value for e in env.errors]
    counts = f"{s.passed} pass, {s.warn} warn, {s.fail} fail, {s.unknown} unknown, {s.error} error"
    detail = f"; errors: {', '.join(codes)}" if codes else ""
    return _base(
        env, "host_run", "",
        title=f"{env.kind} {env.status.value}",
        message=f"{env.host.name}: {env.status.value} ({counts}){detail}",
        outcome="success" if env.ok else "failure",
        fields={"summary": s.model_dump(), "errors": codes, "duration_ms": env.duration_ms,
                "replayed": env.replayed is not None},
    )  # fmt: skip


def finding(env: Envelope, f: Finding) -> Event:
    return _base(
        env, "finding", f.check_id, f.entity,
        status=f.status.value, severity=f.severity.value,
        title=f.check_id, message=f.message, check_id=f.check_id, entity=f.entity,
        action=f.action.value, outcome="failure",
        fields={"observed": f.observed, "threshold": f.threshold,
                "threshold_source": f.threshold_source, "evidence": f.evidence},
    )  # fmt: skip


def health(env: Envelope) -> list[Event]:
    """health.l1: every finding that is not pass / not applicable, then the host summary."""
    return [finding(env, f) for f in env.findings if f.status not in QUIET] + [host_run(env)]


def _get(data: dict[str, Any], key: str, kind: type, default: Any) -> Any:
    value = data.get(key, default)
    return value if isinstance(value, kind) else default


def probe(env: Envelope) -> list[Event]:
    """probe.result: the verdict, and a state change when the round planned or took an action."""
    d = env.data
    verdict = str(d.get("verdict") or "not_judged")
    t = _get(d, "timings", dict, {})
    target = str(d.get("target", ""))
    events = [
        _base(
            env, "probe_verdict", target,
            title=f"probe {verdict}", entity=target,
            message=f"{target} on {d.get('node', '')}: {verdict} {d.get('reason', '')}".strip(),
            outcome="success" if verdict == "healthy" else "failure",
            fields={"verdict": verdict, "node": d.get("node", ""), "model": d.get("model", ""),
                    "ttft_ms": t.get("ttft_ms"), "itl_ms_max": t.get("itl_ms_max"),
                    "http_status": t.get("http_status")},
        )
    ]  # fmt: skip
    action = str(d.get("action", "none"))
    if action != "none":
        result = str(d.get("action_result", ""))
        events.append(
            _base(
                env, "state_change", target, action,
                title=f"{action} {result}", entity=str(d.get("node", "")), action=action,
                message=str(d.get("action_message", "")) or f"{action} {result}",
                outcome="failure" if result in ("failed", "blocked") else "success",
                fields={"result": result, "dry_run": bool(d.get("dry_run", True)),
                        "backend": d.get("backend", "")},
            )
        )  # fmt: skip
    return events


def audit(env: Envelope) -> list[Event]:
    """probe.audit: one cordon / uncordon / restart / breaker record."""
    d = env.data or {}
    action, result = str(d.get("action", "")), str(d.get("result", ""))
    node = str(d.get("node", ""))
    return [
        _base(
            env, "audit", action, node, str(d.get("who", "")),
            title=f"{action} {result}", entity=node, action=action,
            message=str(d.get("message", "")) or str(d.get("why", "")),
            outcome="failure" if result in ("failed", "blocked", "refused") else "success",
            fields={"who": d.get("who", ""), "why": d.get("why", ""), "result": result,
                    "group": d.get("group", ""), "backend": d.get("backend", ""),
                    "dry_run": bool(d.get("dry_run", True)),
                    "evidence": _get(d, "evidence", dict, {})},
        )
    ]  # fmt: skip


def bundle(env: Envelope) -> list[Event]:
    """bundle: where the evidence bundle is and whether it is whole."""
    d = env.data
    path, sha = str(d.get("path", "")), str(d.get("sha256", ""))
    complete = d.get("complete") is True
    return [
        _base(
            env, "bundle", path, sha,
            title="bundle " + ("complete" if complete else "incomplete"), entity=path,
            message=f"{env.host.name}: bundle {path} ({d.get('bytes', '?')} bytes)",
            outcome="success" if complete else "failure",
            fields={"path": path, "sha256": sha, "bytes": _get(d, "bytes", int, None),
                    "complete": complete},
        )
    ]  # fmt: skip


def reset_reason(env: Envelope) -> list[Event]:
    """reset_reason: why the host last went down, with the confidence of that judgement."""
    d = env.data
    reason = str(d.get("reason", "unknown"))
    evidence = _get(d, "evidence", list, [])
    return [
        _base(
            env, "reset_reason", reason,
            title=f"reset reason {reason}", entity=reason,
            message=f"{env.host.name}: last reset: {reason} ({d.get('confidence', '?')})",
            fields={"reason": reason, "confidence": d.get("confidence"),
                    "evidence": [str(e) for e in evidence]},
        )
    ]  # fmt: skip


def lifecycle_transition(env: Envelope) -> list[Event]:
    """lifecycle.transition: the asset moved from one phase to another."""
    d, new = env.data, to_phase(env.data)
    old = from_phase(d)
    return [
        _base(
            env, "state_change", old, new,
            title=f"lifecycle {old or '?'} -> {new or '?'}", entity=env.host.name,
            message=f"{env.host.name}: lifecycle phase {old or '?'} -> {new or '?'}",
            fields={"from": old, "to": new, "who": first_str(d, "who"),
                    "why": first_str(d, "why", "reason")},
        )
    ]  # fmt: skip


def lifecycle_action(env: Envelope) -> list[Event]:
    """lifecycle.action: something a phase command did (or planned) to the asset."""
    d = env.data
    # The registry's rows say `outcome` (pass/warn/fail/unknown); `result` is read as well.
    action, result = first_str(d, "action") or "?", first_str(d, "outcome", "result") or "done"
    return [
        _base(
            env, "audit", action, result, first_str(d, "at"),
            title=f"lifecycle {action} {result}", entity=env.host.name, action=action,
            message=f"{env.host.name}: lifecycle action {action}: {result}",
            outcome="failure" if result in ("fail", "failed", "error") else "success",
            fields={"who": first_str(d, "who"), "why": first_str(d, "why", "reason"),
                    "result": result},
        )
    ]  # fmt: skip


def summary_only(env: Envelope) -> list[Event]:
    return [host_run(env)]


ACTION = {"open": "incident_open", "closed": "incident_close"}  # the registry's action names


def lifecycle_incident(env: Envelope) -> list[Event]:
    """lifecycle.incident: an asset taken out of service (open) or resolved (closed), then its
    failing L1 findings as finding events."""
    d = env.data
    state = str(d.get("state", "?"))
    why = str(d.get("reason") if state == "open" else d.get("resolution") or "")
    head = _base(
        env, "state_change", "incident", state,
        title=f"incident {state}", entity=env.host.host_id, action=ACTION.get(state, state),
        message=f"{env.host.name}: incident {state}: {why}",
        outcome="failure" if state == "open" else "success",
        fields={k: d.get(k) for k in ("state", "reason", "resolution", "phase", "reset_reason",
                                      "l1_status", "bundle", "bundle_sha256", "gate_missing")},
    )  # fmt: skip
    rest = [finding(env, f) for f in env.findings[1:] if f.status not in QUIET]
    return [head, *rest]


def lifecycle_maintain(env: Envelope) -> list[Event]:
    """lifecycle.maintain: one host's maintenance (passed, failed, planned, not started)."""
    d = env.data
    outcome = str(d.get("outcome", "?"))
    steps = _get(d, "steps", list, [])
    return [
        _base(
            env, "state_change", "maintain", outcome,
            title=f"maintenance {outcome}", entity=str(d.get("node", "")), action="maintain",
            message=f"{env.host.name}: maintenance {outcome}: {env.findings[0].message}"
            if env.findings else f"{env.host.name}: maintenance {outcome}",
            outcome={"passed": "success", "failed": "failure"}.get(outcome, "unknown"),
            fields={"command": d.get("command"), "node": d.get("node"), "phase": d.get("phase"),
                    "boot_id_before": d.get("boot_id_before"),
                    "boot_id_after": d.get("boot_id_after"),
                    "steps": [f"{x.get('step')} {x.get('result')}" for x in steps
                              if isinstance(x, dict)],
                    "changes": _get(d, "changes", list, [])},
        )
    ]  # fmt: skip


# Envelope kind -> events. A kind not listed still yields its host_run summary event.
PROJECTIONS: dict[str, Callable[[Envelope], list[Event]]] = {
    "health.l1": health,
    "probe.result": probe,
    "probe.audit": audit,
    "bundle": bundle,
    "reset_reason": reset_reason,
    "reset.reason": reset_reason,
    "lifecycle.transition": lifecycle_transition,
    "lifecycle.action": lifecycle_action,
    "mu.report": summary_only,  # capacity figures are metrics (prometheus), not events
    "lifecycle.incident": lifecycle_incident,
    "lifecycle.maintain": lifecycle_maintain,
}


def redacted(ev: Event) -> Event:
    """The event with credentials masked in every free-text value (diag.redact)."""
    return replace(ev, title=redact.text(ev.title), message=redact.text(ev.message),
                   entity=redact.text(ev.entity), fields=redact.obj(ev.fields))  # fmt: skip


def project(env: Envelope) -> list[Event]:
    """The events of one envelope, redacted; a kind not in PROJECTIONS yields its summary."""
    fn = PROJECTIONS.get(env.kind, summary_only)
    return [redacted(ev) for ev in fn(env)]
