"""`diagctl lifecycle receive` as a library: an L1 health run, an optional burn-in command,
the manifest comparison, and — with `act` — the registry records and the move to provision
when the acceptance gate passes. Never changes a host beyond running the burn-in it was given.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import diag
from diag.envelope import finalize
from diag.exitcodes import Exit, ExitPolicy, exit_code
from diag.redact import text as redact_text
from diag.textsafe import safe_text
from diag.transport.base import CommandResult, Target, Transport
from lifecycle import acceptance as acc
from schemas.envelope import Envelope, ErrorCode, ErrorInfo, Finding, HostRef, Status
from schemas.lifecycle import EvidencePointer, Manifest, ReceiveData, ReceiveEnvelope

Outcome = Literal["pass", "warn", "fail", "unknown"]

if TYPE_CHECKING:
    from lifecycle.phases import Evidence
    from lifecycle.registry.store import Registry

BURN_IN = "lifecycle.burn_in"
L1 = "lifecycle.l1"
OUTPUT_TAIL = 400  # bytes of burn-in output quoted in the finding...
TAIL_LINES = 5  # ...as at most this many lines


@dataclass
class ReceiveOptions:
    manifest: Manifest
    burn_in: str = ""
    burn_in_timeout_s: float = 3600.0
    act: bool = False
    exits: ExitPolicy = field(default_factory=ExitPolicy)
    out: Path | None = None


@dataclass
class Step:
    """One acceptance step's result, as recorded in the registry (action = step name)."""

    action: str
    outcome: Outcome
    reason: str
    evidence: list[EvidencePointer]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def _burn_all(
    targets: Sequence[Target], transport: Transport, cmd: str, timeout: float, forks: int
) -> list[CommandResult]:
    gate = asyncio.Semaphore(forks)

    async def one(t: Target) -> CommandResult:
        async with gate:
            return await transport.run(t, ("sh", "-c", cmd), b"", timeout)

    try:
        return list(await asyncio.gather(*(one(t) for t in targets)))
    finally:
        await transport.close()


def run_burn_in(
    targets: Sequence[Target], transport: Transport, cmd: str, timeout: float, forks: int
) -> list[CommandResult]:
    """The operator's burn-in command on each target, `forks` at a time."""
    return asyncio.run(_burn_all(targets, transport, cmd, timeout, forks))


def burn_in_step(cmd: str, res: CommandResult) -> tuple[Step, Finding]:
    output = res.stdout + res.stderr
    text = redact_text(output[-OUTPUT_TAIL:].decode("utf-8", "replace"))
    lines = [safe_text(line) for line in text.splitlines() if line.strip()][-TAIL_LINES:]
    outcome: Outcome
    if res.exit_code is None:
        outcome, status = "unknown", Status.UNKNOWN
        msg = f"burn-in did not run: {res.error}: {safe_text(res.message)}"
    else:
        ok = res.exit_code == 0
        outcome, status = ("pass", Status.PASS) if ok else ("fail", Status.FAIL)
        msg = f"burn-in exited {res.exit_code} after {res.duration_ms} ms"
    note = f"{msg}; output tail: {' | '.join(lines)}" if lines else msg
    ptr = EvidencePointer(kind="output", sha256=sha256(output), note=note[:1000])
    finding = Finding(
        check_id=BURN_IN,
        status=status,
        entity=cmd,
        message=msg,
        observed={
            "exit_code": res.exit_code,
            "duration_ms": res.duration_ms,
            "output_sha256": ptr.sha256,
        },
        evidence=lines,
    )
    return Step("burn_in", outcome, cmd, [ptr]), finding


def _outcome(findings: list[Finding]) -> Outcome:
    statuses = {f.status for f in findings}
    if Status.FAIL in statuses:
        return "fail"
    return "unknown" if Status.UNKNOWN in statuses else "pass"


def health_pointer(env: Envelope, out: Path | None) -> EvidencePointer:
    body = env.model_dump_json().encode()
    path = ""
    if out is not None:
        from diag.artifacts import host_dir

        path = str(host_dir(out, env.host.name) / "envelope.json")
    note = f"health.l1 {env.status.value} collected {env.collected_at}"
    return EvidencePointer(kind="envelope", path=path, sha256=sha256(body), note=note)


def assess(
    env: Envelope, host_class: str, opts: ReceiveOptions
) -> tuple[list[Step], list[Finding]]:
    """Identity, manifest and L1 steps of one host, with their findings."""
    ptr = health_pointer(env, opts.out)
    ident = acc.identity_finding(env)
    mf = acc.compare(env, acc.match(env, opts.manifest), host_class, opts.manifest)
    l1_exit = exit_code([env], policy=opts.exits)
    l1_ok = l1_exit is Exit.OK
    l1 = Finding(
        check_id=L1,
        status=Status.PASS if l1_ok else Status.FAIL,
        entity="health.l1",
        message=f"health {env.status.value}: {env.summary.fail} fail, {env.summary.warn}"
        f" warn, {env.summary.unknown} unknown",
        observed={"exit": int(l1_exit)},
    )
    steps = [
        Step("identity", _outcome([ident]), ident.message, [ptr]),
        Step("manifest", _outcome(mf), "; ".join(f.message for f in mf), [ptr]),
        Step("l1", "pass" if l1_ok else "fail", l1.message, [ptr]),
    ]
    return steps, [ident, *mf, l1]


def receive_envelope(env: Envelope, findings: list[Finding], data: ReceiveData) -> ReceiveEnvelope:
    out = ReceiveEnvelope(
        kind="lifecycle.receive",
        tool_version=diag.__version__,
        host=HostRef.model_validate(env.host.model_dump()),
        ok=False,
        status=Status.UNREACHABLE if env.status is Status.UNREACHABLE else Status.PASS,
        findings=findings,
        errors=list(env.errors),
        collected_at=env.collected_at,
        duration_ms=env.duration_ms,
        data=data,
    )
    finalize(out)
    return out


def conflict_error(message: str) -> ErrorInfo:
    return ErrorInfo(code=ErrorCode.ACTION_FAILED, message=message, hint="re-run receive")


Emit = Callable[[Envelope], None]


def record(
    reg: Registry, env: Envelope, host_class: str, steps: list[Step], who: str
) -> ReceiveData:
    """Register the asset, append its steps, and move it to provision when the gate passes."""
    from lifecycle.evidence import evidence_of
    from lifecycle.phases import Phase, decide
    from lifecycle.registry.store import AssetInfo

    inv = acc.inventory_of(env)
    info = AssetInfo(env.host.host_id, env.host.name, host_class, [env.host.host_id], inv)
    asset = reg.register(info, who)
    for s in steps:
        reg.record(asset.host_id, s.action, s.outcome, who, s.reason, s.evidence)
    ev = evidence_of(reg.history(asset.host_id))
    if asset.phase != Phase.RECEIVE.value:  # a known asset further on: the steps are recorded
        return ReceiveData(inventory=inv, decision="recorded", phase=asset.phase)
    decision = decide(Phase.RECEIVE, Phase.PROVISION, ev)
    if not decision.moves:
        return ReceiveData(
            inventory=inv,
            decision="blocked",
            gate_missing=list(decision.missing),
            phase=asset.phase,
        )
    pointers = [p for s in steps for p in s.evidence]
    reg.move(
        asset.host_id, Phase.PROVISION, asset.version, decision, who, "acceptance passed", pointers
    )
    return ReceiveData(inventory=inv, decision="move", phase="provision")


def judge_host(
    env: Envelope,
    host_class: str,
    res: CommandResult | None,
    opts: ReceiveOptions,
    reg: Registry | None,
    who: str,
    probe: tuple[Step, Finding] | None = None,
) -> ReceiveEnvelope:
    """One host: its steps and findings (the token probe's last), recorded (and moved) when
    acting."""
    from lifecycle.phases import accept_gate
    from lifecycle.registry.errors import ConflictError

    steps, findings = assess(env, host_class, opts)
    if res is not None and opts.burn_in:
        step, finding = burn_in_step(opts.burn_in, res)
        steps.append(step)
        findings.append(finding)
    if probe is not None:
        steps.append(probe[0])
        findings.append(probe[1])
    entry = acc.match(env, opts.manifest)
    data = ReceiveData(
        manifest_serial=entry.serial if entry else "",
        inventory=acc.inventory_of(env),
        l1_status=env.status.value,
        burn_in=opts.burn_in,
        burn_in_exit=res.exit_code if res else None,
    )
    errors: list[ErrorInfo] = []
    if opts.act and reg is not None and env.host.host_id:
        try:
            rec = record(reg, env, host_class, steps, who)
            data = data.model_copy(
                update=rec.model_dump(include={"decision", "gate_missing", "phase"})
            )
        except ConflictError as exc:  # the steps stay recorded; only the move lost the race
            errors.append(conflict_error(str(exc)))
    else:
        data.gate_missing = accept_gate(_dry_evidence(steps))
    out = receive_envelope(env, findings, data)
    out.errors += errors
    return out


def receive(
    envs: Sequence[Envelope],
    targets: Sequence[Target],
    burns: Sequence[CommandResult] | None,
    opts: ReceiveOptions,
    reg: Registry | None,
    emit: Emit,
    probes: Mapping[str, tuple[Step, Finding]] | None = None,
) -> Exit:
    """Judge each health envelope (and burn-in result, and token probe), record when acting,
    emit, exit code."""
    from lifecycle.registry.store import actor

    who = actor()
    class_of = {t.name: t.host_class for t in targets}
    burn_of = dict(zip((t.name for t in targets), burns or [], strict=False))
    results: list[Envelope] = []
    for env in envs:
        name = env.host.name
        probe = (probes or {}).get(name)
        out = judge_host(env, class_of.get(name, ""), burn_of.get(name), opts, reg, who, probe)
        results.append(out)
        emit(out)
    return exit_code(results, policy=opts.exits)


def _dry_evidence(steps: list[Step]) -> Evidence:
    from lifecycle.evidence import evidence_of
    from schemas.lifecycle import HistoryEntry

    entries = [
        HistoryEntry(
            id=i, host_id="", entry="action", at="", who="", action=s.action, outcome=s.outcome
        )
        for i, s in enumerate(steps)
    ]
    return evidence_of(entries)
