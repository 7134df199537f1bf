"""Incidents: `open` takes an asset out of service into phase incident with its evidence
(L1 findings, reset-reason, an L2 bundle); `close` records the resolution and moves it on
(to monitor through the resolve gate, which also needs a passing L1; or to retire). Each is a
registry action (`incident_open`, `incident_close`) and an envelope of kind lifecycle.incident
for the SIEM exporter."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import diag
from diag import redact
from diag.envelope import finalize, utc_now
from lifecycle.envelopes import asset_envelope
from lifecycle.incident_evidence import Collected
from lifecycle.moves import move_if_gate
from lifecycle.registry.errors import RegistryError
from schemas.envelope import Finding, Status
from schemas.lifecycle_maintain import IncidentData, IncidentEnvelope

if TYPE_CHECKING:
    from lifecycle.registry.store import Registry

Outcome = Literal["pass", "warn", "fail", "unknown"]
OPENS_FROM = ("provision", "monitor", "maintain", "incident")


def _envelope(reg: Registry, key: str, data: IncidentData, got: Collected) -> IncidentEnvelope:
    host = asset_envelope(reg.get(key)).host
    status = Status.FAIL if data.state == "open" else Status.PASS
    head = Finding(
        check_id="lifecycle.incident",
        status=status,
        entity=host.host_id,
        message=f"incident {data.state}: {data.reason or data.resolution}"[:400],
        observed={"phase": data.phase, "reset_reason": data.reset_reason},
    )
    env = IncidentEnvelope(
        kind="lifecycle.incident",
        tool_version=diag.__version__,
        host=host,
        ok=status is Status.PASS,
        status=status,
        findings=[head, *got.findings],
        collected_at=utc_now(),
        duration_ms=0,
        data=data,
    )
    return finalize(env)  # type: ignore[return-value]


def open_incident(
    reg: Registry, key: str, reason: str, got: Collected, who: str
) -> IncidentEnvelope:
    asset, reason = reg.get(key), redact.text(reason)
    if asset.phase not in OPENS_FROM:
        raise RegistryError(
            f"{key}: phase {asset.phase}: an incident opens from {', '.join(OPENS_FROM[:3])}"
        )
    outcome: Outcome = (
        "fail" if got.findings or got.l1_status in ("fail", "unreachable") else "unknown"
    )
    reg.record(asset.host_id, "incident_open", outcome, who, reason, got.pointers)
    move_if_gate(reg, asset.host_id, "incident", who, f"incident: {reason}", got.pointers)
    data = IncidentData(
        state="open",
        reason=reason,
        reset_reason=got.reset_reason,
        l1_status=got.l1_status,
        bundle=got.bundle,
        bundle_sha256=got.bundle_sha256,
        phase=reg.get(key).phase,
    )
    return _envelope(reg, key, data, got)


def close_incident(
    reg: Registry, key: str, resolution: str, to: str, got: Collected, who: str
) -> IncidentEnvelope:
    """Record the resolution (and a fresh L1 as the `l1` step when one was run), then move to
    `to` when its gate passes; a refused gate leaves the asset in incident and says why."""
    asset, resolution = reg.get(key), redact.text(resolution)
    if asset.phase != "incident":
        raise RegistryError(f"{key}: phase {asset.phase}: no open incident to close")
    reg.record(asset.host_id, "incident_close", "pass", who, resolution, got.pointers)
    if got.l1_status:
        l1: Outcome = "pass" if got.l1_status in ("pass", "warn", "not_applicable") else "fail"
        reg.record(asset.host_id, "l1", l1, who, f"health {got.l1_status}", got.pointers[:1])
    if got.probe is not None:
        p = got.probe
        reg.record(asset.host_id, "probe", p.outcome, who, p.reason, p.evidence)
    _moved, missing = move_if_gate(
        reg, asset.host_id, to, who, f"resolved: {resolution}", got.pointers
    )
    data = IncidentData(
        state="closed",
        resolution=resolution,
        reset_reason=got.reset_reason,
        l1_status=got.l1_status,
        phase=reg.get(key).phase,
        gate_missing=missing,
    )
    return _envelope(reg, key, data, got)
