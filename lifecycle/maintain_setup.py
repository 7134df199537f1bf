"""Before any host is touched: the options, the backend, the audit path, each host's scheduler
node and its registry asset. Every problem is one line and exit 2."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from diag import redact
from diag.errors import UsageError
from diag.exitcodes import ExitPolicy
from diag.fleet.args import FleetArgs
from diag.transport.base import Target
from lifecycle import maintenance as mt
from lifecycle.maintain_args import Context, MaintainArgs

if TYPE_CHECKING:
    from lifecycle.breaker import Breaker
    from lifecycle.probe_step import ProbeSpec
    from lifecycle.registry.store import Registry
    from schemas.probe import GroupConfig

START_PHASES = ("monitor", "maintain")  # an asset elsewhere is not in service to maintain


@dataclass(frozen=True)
class MaintainRequest:
    command: str
    reboots: bool = False
    window: str = ""
    max_in_flight: int = 1
    act: bool = False
    act_config: Path | None = None
    backend: str | None = None
    act_audit: Path | None = None
    act_state: Path | None = None
    reason: str = "maintenance"
    command_timeout: float = 1800.0
    return_timeout: float = 900.0
    timeout: float = 60.0
    policy: Path | None = None
    check_ids: tuple[str, ...] = ()
    strict: bool = False
    probe: ProbeSpec | None = None


def _assets(reg: Registry, targets: list[Target]) -> None:
    for t in targets:
        asset = reg.get(t.name)  # UnknownAsset: one line, exit 2
        if asset.phase not in START_PHASES:
            raise UsageError(
                f"{t.name}: asset {asset.host_id} is in phase {asset.phase}; maintenance starts "
                f"from {' or '.join(START_PHASES)} (diagctl lifecycle move)"
            )


def build(
    req: MaintainRequest, fleet: FleetArgs, open_reg: Callable[[], Registry]
) -> tuple[list[Target], Context]:
    from diag.health import health_targets, options_for
    from diag.health_act import node_map
    from diag.health_act_setup import ActRequest, load_config
    from probes import backends, outputs

    if not fleet.wanted:
        raise UsageError("say which hosts: -H HOST[,HOST...] or -i INVENTORY [--limit GROUP]")
    if not req.command.strip():
        raise UsageError("--command is empty")
    args = MaintainArgs(
        command=req.command, reboots=req.reboots, max_in_flight=req.max_in_flight,
        window=mt.parse_window(req.window), act=req.act, reason=redact.text(req.reason),
        command_timeout_s=req.command_timeout, return_timeout_s=req.return_timeout,
        exits=ExitPolicy(req.strict),
    )  # fmt: skip
    hopts = options_for(req.policy, req.check_ids, req.timeout, 256 * 1024, "")
    targets, transport = health_targets(False, None, fleet, hopts)
    if req.probe is not None:
        from lifecycle.probe_step import check_spec

        check_spec(req.probe, targets)  # a bad URL is exit 2 before any host is touched
    config = load_config(ActRequest(req.act, req.act_config, None, req.backend))
    if req.act and config.backend.value == "none":
        raise UsageError("--act needs a backend to cordon through: --backend "
                         "slurm|kubernetes|command, or backend: in --act-config")  # fmt: skip
    from diag.config import state_dir

    audit_path = req.act_audit or state_dir() / "maintain-audit.jsonl"
    reg = None
    if req.act:
        outputs.check_writable(audit_path, "--act-audit", create_parent=True)
        reg = open_reg()
        _assets(reg, targets)
    try:
        backend = backends.make(config.group()) if req.act else backends.NoBackend()
    except RuntimeError as exc:
        raise UsageError(f"backend {config.backend.value}: {exc}") from None
    ctx = Context(args, transport, hopts, backend, audit_path, node_map(targets), reg)
    ctx.probe = req.probe
    if req.act:
        ctx.breaker = lifecycle_breaker(req.act_state, config.group(), fleet)
    return targets, ctx


def lifecycle_breaker(act_state: Path | None, cfg: GroupConfig, fleet: FleetArgs) -> Breaker:
    """The breaker over the whole inventory (every host, --limit or not): its nodes are the
    fleet the fraction is taken of. The state file is shared by maintain and retire."""
    from dataclasses import replace

    from diag.config import state_dir
    from diag.fleet.args import load_targets
    from diag.health_act import node_map
    from lifecycle.breaker import Breaker
    from probes import outputs

    path = act_state or state_dir() / "lifecycle-act-state.json"
    outputs.check_writable(path, "--act-state", create_parent=True)
    everyone = load_targets(replace(fleet, limit=""))
    return Breaker(path, cfg, frozenset(node_map(everyone).values()))
