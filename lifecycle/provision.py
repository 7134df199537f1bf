"""`diagctl lifecycle provision`: render the class's cloud-init user-data (airgap's template and
on-prem mirrors), then, after first boot, verify baseline conformance on an L1 health run and
capture what the host runs as its baseline snapshot (the `baseline` step the service gate
reads; the snapshot is the step's note). An asset already in monitor is instead held to that
snapshot: any difference is a `lifecycle.drift` finding."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import diag
from diag.envelope import finalize, utc_now
from diag.exitcodes import Exit, ExitPolicy, exit_code
from diag.files import atomic_write
from lifecycle.acceptance import inventory_of
from lifecycle.baseline import conformance, snapshot
from lifecycle.envelopes import asset_envelope
from lifecycle.moves import move_if_gate
from lifecycle.registry.errors import RegistryError
from schemas.airgap import Baseline, CloudInitValues
from schemas.envelope import Envelope, Finding, Status
from schemas.lifecycle import EvidencePointer
from schemas.lifecycle_maintain import ProvisionData, ProvisionEnvelope

if TYPE_CHECKING:
    from lifecycle.receive import Step
    from lifecycle.registry.store import Registry

Outcome = Literal["pass", "warn", "fail", "unknown"]
SNAPSHOT = "baseline snapshot "  # the note prefix of the recorded snapshot


def _envelope(
    reg: Registry, key: str, findings: list[Finding], data: ProvisionData
) -> ProvisionEnvelope:
    host = asset_envelope(reg.get(key)).host
    data.phase = reg.get(key).phase
    bad = {f.status for f in findings} & {Status.FAIL, Status.UNKNOWN}
    status = Status.FAIL if Status.FAIL in bad else Status.UNKNOWN if bad else Status.PASS
    env = ProvisionEnvelope(
        kind="lifecycle.provision", tool_version=diag.__version__, host=host,
        ok=status is Status.PASS, status=status, findings=findings, collected_at=utc_now(),
        duration_ms=0, data=data,
    )  # fmt: skip
    return finalize(env)  # type: ignore[return-value]


def render_to(
    reg: Registry, key: str, values: CloudInitValues, cls: str, out: Path, who: str
) -> ProvisionEnvelope:
    """Write the user-data for `cls` to `out` atomically and record it (`provision_render`)."""
    from airgap.cloudinit import render

    asset = reg.get(key)
    if asset.phase != "provision":
        raise RegistryError(f"{key}: phase {asset.phase}: user-data is rendered in provision")
    text = render(values, cls).encode()
    atomic_write(out, text)
    sha = hashlib.sha256(text).hexdigest()
    ptr = EvidencePointer(
        kind="output", path=str(out.resolve()), sha256=sha, note=f"user-data {cls}"
    )
    reg.record(asset.host_id, "provision_render", "pass", who, f"class {cls}", [ptr])
    data = ProvisionData(host_class=cls, user_data=str(out.resolve()), user_data_sha256=sha)
    return _envelope(reg, key, [], data)


def _step(findings: list[Finding]) -> Outcome:
    statuses = {f.status for f in findings}
    return (
        "fail" if Status.FAIL in statuses else "unknown" if Status.UNKNOWN in statuses else "pass"
    )


def recorded_snapshot(reg: Registry, host_id: str) -> Baseline | None:
    for e in reversed(reg.history(host_id)):
        for p in e.evidence:
            if e.action == "baseline" and p.note.startswith(SNAPSHOT):
                return Baseline.model_validate_json(p.note.removeprefix(SNAPSHOT))
    return None


def _probe(
    reg: Registry, host_id: str, who: str, probe: tuple[Step, Finding] | None
) -> list[Finding]:
    """The `--probe-*` token probe recorded as the `probe` step (the service gate reads it)."""
    if probe is None:
        return []
    step, finding = probe
    reg.record(host_id, step.action, step.outcome, who, step.reason[:400], step.evidence)
    return [finding]


def verify(
    reg: Registry,
    key: str,
    base: Baseline,
    cls: str,
    env: Envelope,
    who: str,
    exits: ExitPolicy,
    probe: tuple[Step, Finding] | None = None,
) -> ProvisionEnvelope:
    """provision: conformance + L1 (+ the token probe), recorded, and the move to monitor when
    the service gate passes. monitor: drift from the recorded snapshot (recorded as `drift`)."""
    asset = reg.get(key)
    inv = inventory_of(env)
    body = env.model_dump_json().encode()
    note = f"health.l1 {env.status.value} collected {env.collected_at}"
    l1_ptr = EvidencePointer(kind="envelope", sha256=hashlib.sha256(body).hexdigest(), note=note)
    if asset.phase == "monitor":
        held = recorded_snapshot(reg, asset.host_id)
        if held is None:
            raise RegistryError(f"{key}: no baseline snapshot recorded (provision --verify first)")
        found = conformance(held, inv, "lifecycle.drift")
        reg.record(
            asset.host_id,
            "drift",
            _step(found),
            who,
            "; ".join(f.message for f in found)[:400],
            [l1_ptr],
        )
        data = ProvisionData(host_class=cls, baseline=held.model_dump(), decision="drift")
        return _envelope(reg, key, [*found, *_probe(reg, asset.host_id, who, probe)], data)
    if asset.phase != "provision":
        raise RegistryError(
            f"{key}: phase {asset.phase}: verify runs in provision (drift in monitor)"
        )
    found = conformance(base, inv)
    if not found:
        raise RegistryError(
            f"class {cls}: its baseline sets no field (driver, cuda, vbios, kernel)"
        )
    l1_ok = exit_code([env], policy=exits) is Exit.OK
    snap = snapshot(inv)
    snap_ptr = EvidencePointer(kind="note", note=SNAPSHOT + snap.model_dump_json())
    reg.record(
        asset.host_id,
        "baseline",
        _step(found),
        who,
        "; ".join(f.message for f in found)[:400],
        [snap_ptr, l1_ptr],
    )
    reg.record(
        asset.host_id,
        "l1",
        "pass" if l1_ok else "fail",
        who,
        f"health {env.status.value}",
        [l1_ptr],
    )
    probed = _probe(reg, asset.host_id, who, probe)
    moved, missing = move_if_gate(
        reg, asset.host_id, "monitor", who, f"baseline {cls} verified", [snap_ptr, l1_ptr]
    )
    l1 = Finding(
        check_id="lifecycle.l1",
        status=Status.PASS if l1_ok else Status.FAIL,
        entity="health.l1",
        message=f"health {env.status.value}: {env.summary.fail} fail, "
        f"{env.summary.unknown} unknown",
    )
    decision: Literal["move", "blocked"] = "move" if moved else "blocked"
    data = ProvisionData(
        host_class=cls, baseline=snap.model_dump(), decision=decision, gate_missing=missing
    )
    return _envelope(reg, key, [*found, l1, *probed], data)
