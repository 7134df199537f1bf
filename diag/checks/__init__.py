"""The check catalog: a plain dict from check id to Check, one module per id. Order is report
order. A new check is its module, one line here, its policy entry and its fixtures
(tests/fixtures/checks/<id>/)."""

from __future__ import annotations

from diag.checks.base import Check, Context, Rules, Source
from diag.checks.gpu import driver, inventory, memory, nvlink, pcie, throttle, xid
from diag.checks.host import (
    clock_sync,
    cpu_load,
    disk_space,
    fabric_manager,
    kernel_taint,
    mem_available,
    mem_pressure,
    network,
    oom_kills,
    readonly_mounts,
    systemd_failed,
)

__all__ = ["REGISTRY", "Check", "Context", "Rules", "Source", "sources_for"]

REGISTRY: dict[str, Check] = {
    "host.cpu_load": cpu_load.CHECK,
    "host.mem_available": mem_available.CHECK,
    "host.mem_pressure": mem_pressure.CHECK,
    "host.disk_space": disk_space.CHECK,
    "host.readonly_mounts": readonly_mounts.CHECK,
    "host.kernel_taint": kernel_taint.CHECK,
    "host.oom_kills": oom_kills.CHECK,
    "host.clock_sync": clock_sync.CHECK,
    "gpu.inventory": inventory.CHECK,
    "gpu.driver": driver.CHECK,
    "gpu.memory": memory.CHECK,
    "gpu.pcie": pcie.CHECK,
    "gpu.nvlink": nvlink.CHECK,
    "gpu.throttle": throttle.CHECK,
    "gpu.xid": xid.CHECK,
    "host.systemd_failed": systemd_failed.CHECK,
    "host.fabric_manager": fabric_manager.CHECK,
    "host.network": network.CHECK,
}

FACTS = Source("facts", "facts", cap=8192)


def sources_for(checks: list[Check]) -> list[Source]:
    """Every capture the given checks need, once each, plus host facts."""
    seen: dict[str, Source] = {FACTS.name: FACTS}
    for check in checks:
        for src in check.sources:
            seen.setdefault(src.name, src)
    return list(seen.values())
