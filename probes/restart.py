"""Optional restart of a node's serving unit over the transport seam, then re-probes.

Only `systemctl restart <unit>` with a unit from the group's `restart_units` allow-list (the
targets file is validated against it, and it is checked again here). The argv goes to the
transport as a list; transports quote it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from diag.transport.base import Target, Transport
from schemas.probe import GroupConfig, Verdict

RESTART_TIMEOUT_S = 60
REPROBE_EVERY_S = 1.0


@dataclass
class RestartResult:
    ok: bool  # the restart command ran and exited 0
    message: str
    verdict_after: Verdict | None = None
    reprobes: int = 0

    @property
    def healthy(self) -> bool:
        return self.ok and self.verdict_after is Verdict.HEALTHY


def ssh_settings(cfg: GroupConfig, connect_timeout_s: float) -> dict[str, object]:
    """Keyword arguments for the SSH transport's settings (diag.transport.ssh_common.SSHSettings).
    Host keys are checked strictly: an unknown or changed key fails the restart."""
    kw: dict[str, object] = {
        "user": cfg.ssh_user,
        "identity": str(Path(cfg.ssh_identity).expanduser()) if cfg.ssh_identity else "",
        "jump": cfg.ssh_jump,
        "accept_new": False,
        "connect_timeout_s": connect_timeout_s,
    }
    if cfg.ssh_known_hosts:
        kw["known_hosts"] = Path(cfg.ssh_known_hosts).expanduser()
    return kw


def ssh_target(node: str, ssh_host: str, cfg: GroupConfig) -> Target:
    return Target(name=node, address=ssh_host or node, port=cfg.ssh_port, user=cfg.ssh_user,
                  identity=cfg.ssh_identity, jump=cfg.ssh_jump)  # fmt: skip


def restart_argv(unit: str, cfg: GroupConfig) -> list[str]:
    if unit not in cfg.restart_units:
        raise ValueError(f"unit {unit!r} is not in the group's restart_units allow-list")
    return ["systemctl", "restart", unit]


async def restart_and_reprobe(
    transport: Transport,
    host: Target,
    unit: str,
    cfg: GroupConfig,
    reprobe: Callable[[], Awaitable[Verdict]],
) -> RestartResult:
    """Restart, then re-probe every second until healthy or `restart_wait_s` has passed."""
    try:
        argv = restart_argv(unit, cfg)
    except ValueError as exc:
        return RestartResult(False, str(exc))
    res = await transport.run(host, argv, b"", RESTART_TIMEOUT_S)
    if res.error or res.exit_code != 0:
        why = res.message or res.stderr.decode("utf-8", "replace").strip()[-200:]
        return RestartResult(False, f"{' '.join(argv)} failed: {res.error or res.exit_code} {why}")
    deadline = time.monotonic() + cfg.restart_wait_s
    verdict, n = Verdict.DOWN, 0
    while n < 600 and time.monotonic() < deadline:
        n += 1
        verdict = await reprobe()
        if verdict is Verdict.HEALTHY:
            break
        await asyncio.sleep(REPROBE_EVERY_S)
    msg = f"{' '.join(argv)} ok; re-probe {verdict.value} after {n} tr{'y' if n == 1 else 'ies'}"
    return RestartResult(True, msg, verdict, n)
