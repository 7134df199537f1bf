"""`diagctl lifecycle record`: monitoring envelopes appended to the history of the assets in
monitor, as evidence, with the findings they raise (lifecycle/monitor_feeds.py says which
envelope kinds feed which step).

A health run of an asset in monitor is also held to the baseline snapshot recorded at
provisioning (the `drift` action, as `provision --verify` records it there).

Idempotent: every action carries an evidence pointer with the sha256 of the fed envelope's JSON,
and an action whose pointer is already in the asset's history is not appended again, checked
and appended in one transaction under the asset's lock (so two cron runs feeding the same file
record it once). An envelope that names no asset, or an asset in another phase, is counted and
named in the report, never dropped silently; kinds that feed nothing are counted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from sqlalchemy import Connection, select

import diag
from diag.envelope import finalize, utc_now
from diag.textsafe import safe_text
from lifecycle.baseline import conformance
from lifecycle.envelopes import asset_envelope
from lifecycle.monitor_feeds import FEEDS, Feed, Outcome, Thresholds
from lifecycle.registry import engine as eng
from lifecycle.registry.errors import UnknownAsset
from lifecycle.registry.store import _append, _find, _row
from lifecycle.registry.tables import history
from schemas.envelope import Envelope, Finding, Status
from schemas.lifecycle import Asset, EvidencePointer
from schemas.lifecycle_monitor import MonitorData, MonitorEnvelope

if TYPE_CHECKING:
    from lifecycle.registry.store import Registry

Decision = Literal["dry_run", "recorded", "duplicate"]
SHOW = 5  # names listed per problem line; the rest are counted


@dataclass
class MonitorReport:
    recorded: int = 0  # actions appended
    duplicates: int = 0  # (envelope, asset) pairs recorded before
    unknown: list[str] = field(default_factory=list)  # no asset has this key
    elsewhere: list[str] = field(default_factory=list)  # the asset is not in monitor
    unattributed: list[str] = field(default_factory=list)  # mu.* without a node
    ignored: dict[str, int] = field(default_factory=dict)  # kinds that feed nothing

    def problems(self) -> list[str]:
        """Lines for stderr: what was fed but names no asset (these make the exit status 1)."""
        out = []
        for label, names in (
            ("name no asset in the registry", self.unknown),
            ("name no node (mu report --by node)", self.unattributed),
        ):
            if names:
                more = f" and {len(names) - SHOW} more" if len(names) > SHOW else ""
                shown = ", ".join(safe_text(n) for n in names[:SHOW])
                out.append(f"{len(names)} envelope(s) {label}: {shown}{more}")
        return out

    def notes(self) -> list[str]:
        """Lines for stderr that are not errors: assets in another phase, ignored kinds."""
        out = []
        if self.elsewhere:
            more = f" and {len(self.elsewhere) - SHOW} more" if len(self.elsewhere) > SHOW else ""
            shown = ", ".join(safe_text(n) for n in self.elsewhere[:SHOW])
            out.append(f"{len(self.elsewhere)} not recorded (asset not in monitor): {shown}{more}")
        if self.ignored:
            kinds = ", ".join(f"{k} {n}" for k, n in sorted(self.ignored.items()))
            out.append(f"ignored (feed no monitor step): {safe_text(kinds)}")
        return out


def _unknown_drift(asset: Asset, why: str) -> Feed:
    f = Finding(check_id="lifecycle.drift", status=Status.UNKNOWN, entity="baseline", message=why)
    return Feed((asset.host_id,), "drift", "unknown", f)


def drift_feed(reg: Registry, asset: Asset, env: Envelope) -> Feed:
    """The health run held to the asset's recorded baseline snapshot (the `drift` action)."""
    from lifecycle.acceptance import inventory_of
    from lifecycle.provision import recorded_snapshot

    held = recorded_snapshot(reg, asset.host_id)
    if held is None:
        why = "no baseline snapshot recorded (provision --verify records it)"
        return _unknown_drift(asset, why)
    found = conformance(held, inventory_of(env), "lifecycle.drift")
    if not found:
        return _unknown_drift(asset, "the recorded snapshot sets no field")
    statuses = {f.status for f in found}
    outcome: Outcome = (
        "fail" if Status.FAIL in statuses else "unknown" if Status.UNKNOWN in statuses else "pass"
    )
    these = [f for f in found if f.status.value == outcome]  # the fields that decide it
    one = these[0].model_copy(
        update={
            "entity": ",".join(f.entity for f in these),
            "message": "; ".join(f.message for f in these),
            "observed": {f.entity: f.observed for f in these},
            "threshold": {f.entity: f.threshold for f in these},
        }
    )
    return Feed((asset.host_id,), "drift", outcome, one)


def _resolve(reg: Registry, keys: tuple[str, ...]) -> Asset | None:
    for key in keys:
        try:
            return reg.get(key)
        except UnknownAsset:
            continue
    return None


def _record_once(
    c: Connection, host_id: str, feeds: list[Feed], ptr: EvidencePointer, who: str
) -> int | None:
    """Append each feed's action unless this envelope's pointer is already in the asset's
    history for it; None when the asset left monitor meanwhile. Returns the count appended."""
    eng.lock_asset(c, host_id)
    if _find(c, host_id).phase != "monitor":
        return None
    new = 0
    for feed in feeds:
        seen = c.execute(
            select(history.c.id).where(
                history.c.host_id == host_id,
                history.c.action == feed.action,
                history.c.evidence.like(f'%"sha256":"{ptr.sha256}"%'),
            )
        ).first()
        if seen is None:
            row = _row(
                host_id,
                "action",
                who,
                action=feed.action,
                outcome=feed.outcome,
                reason=feed.finding.message[:400],
            )
            row["evidence"] = f"[{ptr.model_dump_json()}]"
            _append(c, row)
            new += 1
    return new


def _envelope(
    asset: Asset, env: Envelope, sha: str, feeds: list[Feed], decision: Decision
) -> Envelope:
    findings = [f.finding for f in feeds]
    bad = {f.status for f in findings}
    status = next((s for s in (Status.FAIL, Status.UNKNOWN, Status.WARN) if s in bad), Status.PASS)
    data = MonitorData(
        source_kind=env.kind,
        source_sha256=sha,
        source_collected_at=env.collected_at,
        actions=[f.action for f in feeds],
        decision=decision,
        phase=asset.phase,
    )
    out = MonitorEnvelope(
        kind="lifecycle.monitor",
        tool_version=diag.__version__,
        host=asset_envelope(asset).host,
        ok=status in (Status.PASS, Status.WARN),
        status=status,
        findings=findings,
        collected_at=utc_now(),
        duration_ms=0,
        data=data,
    )
    return finalize(out)


@dataclass
class Recorder:
    reg: Registry
    th: Thresholds
    act: bool
    who: str
    emit: Callable[[Envelope], None]
    report: MonitorReport = field(default_factory=MonitorReport)

    def feed(self, env: Envelope) -> None:
        make = FEEDS.get(env.kind)
        if make is None:
            self.report.ignored[env.kind] = self.report.ignored.get(env.kind, 0) + 1
            return
        sha = hashlib.sha256(env.model_dump_json().encode()).hexdigest()
        feeds = make(env, self.th)
        if not feeds:
            self.report.unattributed.append(f"{env.kind} {sha[:12]}")
        for one in feeds:
            self._asset_feed(env, sha, one)

    def _asset_feed(self, env: Envelope, sha: str, one: Feed) -> None:
        label = f"{one.keys[0] if one.keys else '(unnamed)'} ({env.kind})"
        asset = _resolve(self.reg, one.keys)
        if asset is None:
            self.report.unknown.append(label)
            return
        if asset.phase != "monitor":
            self.report.elsewhere.append(f"{label}: phase {asset.phase}")
            return
        feeds = [one, drift_feed(self.reg, asset, env)] if one.action == "l1" else [one]
        decision: Decision = "dry_run"
        if self.act:
            ptr = EvidencePointer(
                kind="envelope",
                sha256=sha,
                note=f"{env.kind} {env.status.value} collected {env.collected_at}",
            )
            new = self.reg._write(lambda c: _record_once(c, asset.host_id, feeds, ptr, self.who))
            if new is None:
                self.report.elsewhere.append(f"{label}: left monitor meanwhile")
                return
            self.report.recorded += new
            self.report.duplicates += 0 if new else 1
            decision = "recorded" if new else "duplicate"
        self.emit(_envelope(self.reg.get(asset.host_id), env, sha, feeds, decision))


def record_all(
    reg: Registry,
    envs: Iterable[Envelope],
    th: Thresholds,
    act: bool,
    who: str,
    emit: Callable[[Envelope], None],
) -> MonitorReport:
    rec = Recorder(reg, th, act, who, emit)
    for env in envs:
        rec.feed(env)
    return rec.report
