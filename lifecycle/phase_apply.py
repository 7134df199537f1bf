"""Per phase: the judged collections of a phase playbook applied to the registry through the
functions the `diagctl lifecycle` commands call (lifecycle.phase_ingest says which)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from diag.exitcodes import Exit
from diag.transport.base import CommandResult
from lifecycle import phase_parts as parts
from lifecycle.phase_ingest import (
    Emit,
    PhaseRequest,
    PhaseResult,
    check_request,
    each,
    finish,
    judge_bundles,
    judge_l1,
    judge_reset,
    key_of,
    sub,
)
from schemas.envelope import Envelope
from schemas.lifecycle import EvidencePointer

if TYPE_CHECKING:
    from lifecycle.registry.store import Registry


def receive(req: PhaseRequest, reg: Registry | None, emit: Emit) -> PhaseResult:
    from lifecycle.manifest import load_manifest
    from lifecycle.receive import ReceiveOptions
    from lifecycle.receive import receive as judge

    assert req.manifest is not None
    opts = ReceiveOptions(
        load_manifest(req.manifest), act=req.act, exits=req.exits, out=sub(req.out, "l1")
    )
    envs, targets, _transport = judge_l1(req)
    burns = None
    if parts.present(req.root, "burn-in"):  # receive.yml ran with -e burn_in=...
        opts.burn_in, got = parts.judge_burn_in(req.root, req.limit)
        missing = CommandResult(None, error="transport", message="no burn-in result collected")
        burns = [got.get(t.name, missing) for t in targets]
    return PhaseResult(judge(envs, targets, burns, opts, reg if req.act else None, emit))


def provision(req: PhaseRequest, reg: Registry | None, emit: Emit) -> PhaseResult:
    from airgap.cloudinit import context, load_values
    from lifecycle.provision import verify
    from lifecycle.registry.store import actor

    assert reg is not None and req.values is not None
    vals = load_values(req.values)
    context(vals, req.host_class)  # an unknown class is exit 2 before anything is judged
    base, who = vals.classes[req.host_class].baseline, actor()
    envs, _targets, _transport = judge_l1(req)

    def apply(env: Envelope) -> list[Envelope]:
        return [verify(reg, key_of(env), base, req.host_class, env, who, req.exits)]

    return finish(*each(envs, apply, emit), req.exits)


def monitor(req: PhaseRequest, reg: Registry | None, emit: Emit) -> PhaseResult:
    """Each host's L1 recorded as ingest records it (the `l1` action), then drift from its
    baseline snapshot for assets in monitor (as `provision --verify` does there)."""
    from diag.ingest import RECORD
    from lifecycle.ingested import IngestRecorder
    from lifecycle.provision import verify
    from lifecycle.registry.store import actor
    from schemas.airgap import Baseline

    assert reg is not None
    who = actor()
    envs, _targets, transport = judge_l1(req)
    paths = {n: c.hdir / RECORD for n, c in transport.collected.items() if c.record}
    recorder = IngestRecorder(reg, who, paths, sub(req.out, "l1"))

    def apply(env: Envelope) -> list[Envelope]:
        recorder.record(env)
        if not env.host.host_id or reg.get(key_of(env)).phase != "monitor":
            return [env]
        asset = reg.get(key_of(env))
        cls = req.host_class or asset.host_class  # shown in the drift envelope, as --class
        drift = verify(reg, asset.host_id, Baseline(), cls, env, who, req.exits)
        return [env, drift]

    results, problems = each(envs, apply, emit)
    if recorder.report.lost:
        problems.append(recorder.problem())
    return finish(results, problems, req.exits)


def incident(req: PhaseRequest, reg: Registry | None, emit: Emit) -> PhaseResult:
    from lifecycle.incident import open_incident
    from lifecycle.incident_evidence import collected_of
    from lifecycle.registry.store import actor

    assert reg is not None
    who = actor()
    envs, _targets, _transport = judge_l1(req)
    resets, bundles = judge_reset(req), judge_bundles(req)

    def apply(env: Envelope) -> list[Envelope]:
        name = env.host.name
        got = collected_of(env, resets.get(name), bundles.get(name))
        return [open_incident(reg, key_of(env), req.reason, got, who)]

    _results, problems = each(envs, apply, emit)
    return PhaseResult(Exit.USAGE if problems else Exit.OK, problems)  # as `incident open`


def _bundle_pointer(env: Envelope) -> tuple[str, EvidencePointer]:
    """(outcome, pointer) of a final bundle: pass when it verified, else unknown."""
    path = str(getattr(env.data, "path", "") or "")
    sha = str(getattr(env.data, "sha256", "") or "")
    complete = bool(getattr(env.data, "complete", False))
    note = "final L2 bundle " + ("verified" if complete else f"incomplete: {env.status.value}")
    if not sha:
        sha = hashlib.sha256(env.model_dump_json().encode()).hexdigest()
    ptr = EvidencePointer(kind="bundle", path=path, sha256=sha, note=note)
    return ("pass" if complete else "unknown"), ptr


def retire(req: PhaseRequest, reg: Registry | None, emit: Emit) -> PhaseResult:
    """The final bundle recorded as evidence (`final_bundle`), then the move to retire as
    `lifecycle retire` makes it; a refused move is the host's problem line."""
    from lifecycle.envelopes import asset_envelope
    from lifecycle.registry.errors import RegistryError
    from lifecycle.registry.store import actor
    from lifecycle.retire import retire as retire_asset
    from lifecycle.retire_report import record_devices

    assert reg is not None
    who = actor()
    bundles = judge_bundles(req)
    erase = parts.judge_erase(req.root, req.limit) if parts.present(req.root, "erase") else {}

    def apply(env: Envelope) -> list[Envelope]:
        asset = reg.get(env.host.name)
        outcome, ptr = _bundle_pointer(env)
        reg.record(asset.host_id, "final_bundle", outcome, who, ptr.note, [ptr])  # type: ignore[arg-type]
        if asset.phase != "retire":
            _moved, missing = retire_asset(reg, asset.host_id, req.reason, who)
            if missing:
                raise RegistryError(f"cannot retire: {'; '.join(missing)}")
        if env.host.name in erase:  # recorded as `lifecycle retire` records its detection
            record_devices(reg, asset.host_id, who, *erase[env.host.name])
        return [asset_envelope(reg.get(asset.host_id))]

    return finish(*each(list(bundles.values()), apply, emit), req.exits)


APPLY: dict[str, Callable[[PhaseRequest, Registry | None, Emit], PhaseResult]] = {
    "receive": receive,
    "provision": provision,
    "monitor": monitor,
    "incident": incident,
    "retire": retire,
}


def run_phase(req: PhaseRequest, reg: Registry | None, emit: Emit) -> PhaseResult:
    """Judge the phase playbook's collections and apply them (lifecycle.phase_ingest)."""
    from diag.errors import UsageError

    check_request(req)
    if req.phase != "receive" and reg is None:
        raise UsageError(f"ingest --phase {req.phase} needs --registry (it records and moves)")
    return APPLY[req.phase](req, reg, emit)
