"""Envelopes → one `AssetRecord` per host. Each envelope kind contributes through one entry of
`PROJECTIONS` (kind → function updating the host's record); a kind with no entry is ignored.

Envelopes are read defensively: `data` is the generic dict of `schemas.envelope.Envelope`, and a
field of the wrong type is left out, never a crash. Hosts come out in the order first seen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from exporters.kinds_read import mu_groups, to_phase
from schemas.asset import HostInventory
from schemas.cmdb import AssetRecord
from schemas.envelope import Envelope


def _str(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    return value if isinstance(value, str) else ""


def from_health(env: Envelope, rec: AssetRecord) -> None:
    """health.l1: identity from `host`, inventory from `data.inventory`, OS from `data.facts`.
    A later health envelope of the same host replaces what an earlier one said, except that one
    without inventory (an unreachable host) keeps the inventory already known."""
    facts = env.data.get("facts")
    facts = facts if isinstance(facts, dict) else {}
    rec.hostname = env.host.hostname or rec.hostname
    rec.address = env.host.address or rec.address
    rec.host_id, rec.host_id_source = env.host.host_id, env.host.host_id_source
    rec.os, rec.kernel = _str(facts, "os_pretty_name"), _str(facts, "kernel")
    cpus = facts.get("cpu_count")
    rec.cpu_count = cpus if isinstance(cpus, int) else 0
    rec.health_status, rec.collected_at = env.status.value, env.collected_at
    if env.data.get("inventory") is None:  # unreachable, or a run before inventory existed
        return
    try:
        inv = HostInventory.model_validate(env.data.get("inventory") or {})
    except ValidationError:
        inv = HostInventory()
    rec.system_vendor, rec.product_name = inv.system_vendor, inv.product_name
    rec.serial, rec.product_uuid = inv.product_serial, inv.product_uuid
    rec.board_serial, rec.bios_version = inv.board_serial, inv.bios_version
    rec.driver_version, rec.cuda_version = inv.driver_version, inv.cuda_version
    rec.gpus = inv.gpus


def from_lifecycle(env: Envelope, rec: AssetRecord) -> None:
    """Lifecycle transitions name the phase the asset moved to (exporters/kinds_read.py)."""
    rec.lifecycle_phase = to_phase(env.data) or rec.lifecycle_phase


def from_mu_capacity(env: Envelope, rec: AssetRecord) -> None:
    """Model-Unit capacity envelopes carry `data.mu_per_s` (MU a host serves per second)."""
    value = env.data.get("mu_per_s")
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        rec.mu_capacity = float(value)


def from_mu_report(env: Envelope, rec: AssetRecord) -> None:
    """mu.report: the capacity of the group whose node is this host (exporters/kinds_read.py)."""
    for g in mu_groups(env.data):
        cap = g.capacity_mu_per_s
        if g.node == env.host.name and cap is not None and cap >= 0:
            rec.mu_capacity = cap


PROJECTIONS: dict[str, Callable[[Envelope, AssetRecord], None]] = {
    "health.l1": from_health,
    "lifecycle.phase": from_lifecycle,
    "lifecycle.asset": from_lifecycle,  # `lifecycle status`: data.phase of the registry's asset
    "lifecycle.transition": from_lifecycle,
    "mu.capacity": from_mu_capacity,
    "mu.report": from_mu_report,
}


def assets(envelopes: Iterable[Envelope]) -> list[AssetRecord]:
    """One record per host name, in first-seen order, for hosts some projection knows about."""
    records: dict[str, AssetRecord] = {}
    for env in envelopes:
        project = PROJECTIONS.get(env.kind)
        if project is None:
            continue
        rec = records.setdefault(env.host.name, AssetRecord(name=env.host.name))
        project(env, rec)
    return list(records.values())
