"""The records of a retire run: its steps, the drain's audit record (as `probe run` and
`maintain` write them), the detection stored in the registry (one evidence note per disk, the
disk's JSON, so a later attestation can be checked against it) and the lifecycle.retire
envelope with one `lifecycle.erase` finding per disk."""

from __future__ import annotations

from typing import TYPE_CHECKING

import diag
from diag.envelope import finalize, utc_now
from diag.textsafe import safe_text
from lifecycle.breaker import tripped_message
from probes import audit
from schemas.envelope import Finding, HostRef, Status
from schemas.lifecycle import EvidencePointer
from schemas.lifecycle_retire import EraseDevice, RetireData, RetireEnvelope, RetireStep
from schemas.probe import ActionKind, ActionResult, AuditRecord

if TYPE_CHECKING:
    from lifecycle.registry.store import Registry
    from lifecycle.retire_args import RetireRun
    from probes.backends import Outcome
    from probes.plan import GroupGuard

GROUP = "retire"
DETECT = "erase_detect"


def step(name: str, result: str, message: str = "") -> RetireStep:
    return RetireStep.model_validate(
        {"step": name, "result": result, "message": safe_text(message)[:400]}
    )


def tripped(g: GroupGuard) -> str:
    return tripped_message(g)


def _audit(r: RetireRun, rec: AuditRecord) -> None:
    assert r.audit_path is not None
    audit.append(r.audit_path, rec)
    note = f"{rec.action.value} {rec.result.value}"
    r.pointers.append(EvidencePointer(kind="audit", path=str(r.audit_path), note=note))


def breaker_audit(r: RetireRun, g: GroupGuard) -> None:
    from probes.envelopes import breaker_evidence

    assert r.backend is not None
    _audit(r, AuditRecord(
        at=utc_now(), who=audit.who(), action=ActionKind.BREAKER, group=GROUP,
        backend=r.backend.name, why="blast-radius limit would be crossed",
        evidence=breaker_evidence(g), dry_run=False, result=ActionResult.BLOCKED,
        message=tripped_message(g),
    ))  # fmt: skip


def audit_drain(r: RetireRun, out: Outcome) -> bool:
    assert r.backend is not None
    _audit(r, AuditRecord(
        at=utc_now(), who=audit.who(), action=ActionKind.CORDON, node=r.node, group=GROUP,
        backend=r.backend.name, why=f"retire: {r.reason}", evidence={"host": r.target.name},
        dry_run=False, result=out.result, message=out.message,
    ))  # fmt: skip
    return out.result in (ActionResult.DONE, ActionResult.ALREADY)


def record_detection(r: RetireRun, devices: list[EraseDevice], problem: str) -> None:
    host_id = r.registry.get(r.target.name).host_id
    record_devices(r.registry, host_id, r.who, devices, problem)


def record_devices(
    reg: Registry, host_id: str, who: str, devices: list[EraseDevice], problem: str
) -> None:
    """The `erase_detect` action: one evidence note per disk (its JSON)."""
    ptrs = [EvidencePointer(kind="note", note=d.model_dump_json()) for d in devices]
    unsure = problem or any(d.unknown for d in devices) or not devices
    summary = "; ".join(f"{d.device}: {', '.join(d.methods_supported) or 'none'}" for d in devices)
    reason = (problem or summary or "no NVMe or SATA disk found")[:400]
    reg.record(host_id, DETECT, "unknown" if unsure else "pass", who, reason, ptrs)


def latest_detection(reg: Registry, host_id: str) -> list[EraseDevice] | None:
    """The disks of the newest detection recorded for the asset; None when none was."""
    for entry in reversed(reg.history(host_id)):
        if entry.action == DETECT:
            return [EraseDevice.model_validate_json(p.note) for p in entry.evidence]
    return None


def device_finding(d: EraseDevice) -> Finding:
    who = f"{d.device} ({' '.join(x for x in (d.model, d.serial) if x) or d.transport})"
    methods = ", ".join(d.methods_supported) or "none"
    if d.unknown:
        status, msg = Status.UNKNOWN, f"{who}: {'; '.join(d.unknown)}"
    elif d.frozen or d.locked:
        state = "frozen: SECURITY ERASE is refused until a power cycle" if d.frozen else "locked"
        status, msg = Status.WARN, f"{who}: {methods}; {state}"
    else:
        status, msg = Status.PASS, f"{who}: {methods}"
    return Finding(check_id="lifecycle.erase", status=status, entity=d.device,
                   message=msg[:400], observed=d.model_dump(mode="json"))  # fmt: skip


def envelope(r: RetireRun, data: RetireData) -> RetireEnvelope:
    failed = [s for s in data.steps if s.result == "failed"]
    head_status = Status.FAIL if failed else Status.PASS
    msg = f"{failed[0].step} failed: {failed[0].message}" if failed else data.outcome
    head = Finding(check_id="lifecycle.retire", status=head_status, entity=r.node, message=msg)
    findings = [head, *(device_finding(d) for d in data.devices)]
    worst = max((f.status for f in findings), key=lambda s: s.rank)
    env = RetireEnvelope(
        kind="lifecycle.retire", tool_version=diag.__version__,
        host=HostRef(name=r.target.name, address=r.target.address), ok=worst is Status.PASS,
        status=worst, findings=findings, collected_at=utc_now(), duration_ms=0, data=data,
    )  # fmt: skip
    return finalize(env)  # type: ignore[return-value]
