"""Receiving a machine: its identity and inventory as a health run saw them, compared with the
expected manifest. Pure: envelopes and manifests in, findings out.

Where the data comes from (a `health.l1` envelope):
  host.host_id / host_id_source   DMI product_serial, else product_uuid, else machine-id
  gpu.inventory finding           observed.gpus (count) and observed.names (models); a status
                                  of unknown means the GPUs could not be read: count unknown
  gpu.driver finding              observed.driver, observed.cuda, observed.vbios (firmware)
  data.facts                      kernel, os_pretty_name
  data.inventory.gpus[].serial     per-GPU board serials (lifecycle/gpu_serials.py compares them)
"""

from __future__ import annotations

from typing import Any

from lifecycle.gpu_serials import compare_serials, observed_serials, owners
from schemas.envelope import Envelope, Finding, Severity, Status
from schemas.lifecycle import Inventory, Manifest, ManifestEntry

IDENTITY = "lifecycle.identity"
MANIFEST = "lifecycle.manifest"


def _observed(env: Envelope, check_id: str) -> dict[str, Any] | None:
    for f in env.findings:
        if f.check_id == check_id and f.status is not Status.UNKNOWN:
            return f.observed if isinstance(f.observed, dict) else None
    return None


def _facts(env: Envelope) -> dict[str, Any]:
    """The host facts of a health envelope: a dict when read back from JSON, a model
    (schemas.health.HealthData) when the run happened in this process."""
    if isinstance(env.data, dict):
        facts = env.data.get("facts", {})
        return facts if isinstance(facts, dict) else {}
    typed = getattr(env.data, "facts", None)
    return typed.model_dump() if typed is not None else {}


def inventory_of(env: Envelope) -> Inventory:
    inv = _observed(env, "gpu.inventory") or {}
    drv = _observed(env, "gpu.driver") or {}
    facts = _facts(env)
    count = inv.get("gpus")
    return Inventory(
        host_id_source=env.host.host_id_source,
        hostname=env.host.hostname,
        gpu_count=count if isinstance(count, int) else None,
        gpu_models=[str(n) for n in inv.get("names") or []],
        driver=str(drv.get("driver") or ""),
        cuda=str(drv.get("cuda") or ""),
        vbios=[str(v) for v in drv.get("vbios") or []],
        gpu_serials=observed_serials(env.data),
        kernel=str(facts.get("kernel", "")),
        os=str(facts.get("os_pretty_name", "")),
    )


def match(env: Envelope, manifest: Manifest) -> ManifestEntry | None:
    """The entry whose serial is the host's host_id, else the one named like the host."""
    by_serial = [a for a in manifest.assets if env.host.host_id and a.serial == env.host.host_id]
    if by_serial:
        return by_serial[0]
    return next((a for a in manifest.assets if a.name and a.name == env.host.name), None)


def _f(check_id: str, status: Status, entity: str, message: str, **kw: Any) -> Finding:
    sev = {Status.PASS: Severity.INFO, Status.FAIL: Severity.HIGH}.get(status, Severity.MEDIUM)
    return Finding(
        check_id=check_id, status=status, severity=sev, entity=entity, message=message, **kw
    )


def identity_finding(env: Envelope) -> Finding:
    if env.status is Status.UNREACHABLE or not env.host.host_id:
        why = "host unreachable" if env.status is Status.UNREACHABLE else "no host_id reported"
        return _f(IDENTITY, Status.FAIL, "host_id", f"identity not captured: {why}")
    src = env.host.host_id_source or "unknown source"
    return _f(
        IDENTITY,
        Status.PASS,
        "host_id",
        f"host_id {env.host.host_id} ({src})",
        observed={"host_id": env.host.host_id, "source": src},
    )


def _pairs(entry: ManifestEntry, inv: Inventory, host_class: str) -> list[tuple[str, Any, Any]]:
    """(field, expected, observed) for every field the manifest sets."""
    pairs: list[tuple[str, Any, Any]] = []
    if entry.host_class:
        pairs.append(("host_class", entry.host_class, host_class))
    if entry.gpu_count is not None:
        pairs.append(("gpu_count", entry.gpu_count, inv.gpu_count))
    if entry.gpu_model:
        pairs.append(("gpu_model", entry.gpu_model, ",".join(inv.gpu_models)))
    if entry.driver:
        pairs.append(("driver", entry.driver, inv.driver))
    if entry.vbios:
        pairs.append(("vbios", entry.vbios, ",".join(inv.vbios)))
    return pairs


def compare(
    env: Envelope, entry: ManifestEntry | None, host_class: str, manifest: Manifest | None = None
) -> list[Finding]:
    """One finding per manifest field that differs (unknown where the host could not say),
    per GPU serial missing or unexpected (naming the manifest entry that lists it), or one
    pass naming the entry; a machine not in the manifest is a failure."""
    if entry is None:
        who = env.host.host_id or env.host.name
        return [_f(MANIFEST, Status.FAIL, "serial", f"{who} is not in the manifest")]
    inv = inventory_of(env)
    out: list[Finding] = []
    for name, want, have in _pairs(entry, inv, host_class):
        if have is None or have == "":
            out.append(
                _f(
                    MANIFEST,
                    Status.UNKNOWN,
                    name,
                    f"{name}: not readable on the host, manifest says {want}",
                    threshold=want,
                )
            )
        elif have != want:
            out.append(
                _f(
                    MANIFEST,
                    Status.FAIL,
                    name,
                    f"{name} {have}, manifest says {want}",
                    observed=have,
                    threshold=want,
                )
            )
    if entry.serial != env.host.host_id:
        out.append(
            _f(
                MANIFEST,
                Status.FAIL,
                "serial",
                f"serial {env.host.host_id or '?'}, "
                f"manifest entry {entry.name!r} says {entry.serial}",
                observed=env.host.host_id,
                threshold=entry.serial,
            )
        )
    owner_of = owners(manifest) if manifest is not None else {}
    out += compare_serials(entry, inv.gpu_serials, owner_of, _f)
    return out or [_f(MANIFEST, Status.PASS, "serial", f"matches manifest entry {entry.serial}")]
