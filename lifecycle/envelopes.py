"""Registry rows as envelopes: lifecycle.asset (status), lifecycle.transition and
lifecycle.action (history). The exporters read them like any other envelope."""

from __future__ import annotations

import hashlib
from pathlib import Path

import diag
from diag.envelope import finalize
from lifecycle.registry.errors import RegistryError
from schemas.envelope import Finding, HostRef, Status
from schemas.lifecycle import Asset, AssetEnvelope, EvidencePointer, HistoryEntry, HistoryEnvelope

_STATUS = {"pass": Status.PASS, "warn": Status.WARN, "fail": Status.FAIL, "unknown": Status.UNKNOWN}


def _host(asset: Asset) -> HostRef:
    return HostRef(
        name=asset.name or asset.host_id,
        host_id=asset.host_id,
        host_id_source=asset.inventory.host_id_source,
        hostname=asset.inventory.hostname,
    )


def asset_envelope(asset: Asset) -> AssetEnvelope:
    f = Finding(
        check_id="lifecycle.phase",
        status=Status.PASS,
        entity=asset.host_id,
        observed=asset.phase,
        message=f"phase {asset.phase} (version {asset.version})",
    )
    env = AssetEnvelope(
        kind="lifecycle.asset",
        tool_version=diag.__version__,
        host=_host(asset),
        ok=True,
        status=Status.PASS,
        findings=[f],
        collected_at=asset.updated_at,
        duration_ms=0,
        data=asset,
    )
    return finalize(env)  # type: ignore[return-value]


def describe(e: HistoryEntry) -> str:
    """One line: `receive -> provision (forced: REASON)` or `action l1 pass: REASON`."""
    if e.entry == "transition":
        head = f"{e.from_phase or '(new)'} -> {e.to_phase}"
        why = f"forced: {e.reason}" if e.forced else e.reason
        return f"{head} ({why})" if why else head
    return f"{e.action} {e.outcome}" + (f": {e.reason}" if e.reason else "")


def history_envelope(asset: Asset, e: HistoryEntry) -> HistoryEnvelope:
    status = Status.WARN if e.forced else _STATUS[e.outcome]
    check = f"lifecycle.{e.entry}"
    f = Finding(
        check_id=check,
        status=status,
        entity=asset.host_id,
        message=describe(e),
        observed={"who": e.who, "id": e.id},
        evidence=[p.path or p.note for p in e.evidence],
    )
    env = HistoryEnvelope(
        kind=check,
        tool_version=diag.__version__,
        host=_host(asset),
        ok=False,
        status=status,
        findings=[f],
        collected_at=e.at,
        duration_ms=0,
        data=e,
    )
    return finalize(env)  # type: ignore[return-value]


def pointer_for(path: Path) -> EvidencePointer:
    """An evidence file given by the operator (a bundle, an envelope, an audit log), hashed."""
    try:
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    except OSError as exc:
        raise RegistryError(f"--evidence {path}: {exc.strerror or exc}") from None
    name = path.name.lower()
    kind = (
        "bundle"
        if name.endswith((".tar.gz", ".tgz"))
        else "envelope"
        if name.endswith((".json", ".jsonl"))
        else "audit"
        if "audit" in name
        else "output"
    )
    return EvidencePointer(kind=kind, path=str(path.resolve()), sha256=digest.hexdigest())  # type: ignore[arg-type]
