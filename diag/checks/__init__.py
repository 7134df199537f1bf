"""The check catalog: a plain dict from check id to Check. Order is report order."""

from __future__ import annotations

from diag.checks import (
    clock,
    cpu,
    disk,
    gpu_host,
    gpu_inventory,
    gpu_verdicts,
    gpu_xid,
    kernel,
    memory,
    mounts,
)
from diag.checks.base import Check, Context, Rules, Source

__all__ = ["REGISTRY", "Check", "Context", "Rules", "Source", "sources_for"]

REGISTRY: dict[str, Check] = {
    c.id: c
    for c in (
        cpu.CHECK,
        *memory.CHECKS,
        disk.CHECK,
        mounts.CHECK,
        *kernel.CHECKS,
        clock.CHECK,
        *gpu_inventory.CHECKS,
        *gpu_verdicts.CHECKS,
        gpu_xid.CHECK,
        *gpu_host.CHECKS,
    )
}

FACTS = Source("facts", "facts", cap=8192)


def sources_for(checks: list[Check]) -> list[Source]:
    """Every capture the given checks need, once each, plus host facts."""
    seen: dict[str, Source] = {FACTS.name: FACTS}
    for check in checks:
        for src in check.sources:
            seen.setdefault(src.name, src)
    return list(seen.values())
