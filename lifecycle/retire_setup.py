"""Before a retire run touches its host: exactly one host, its scheduler node, the backend,
the audit and breaker paths, and an asset whose phase may move to retire. Every problem is
one line and exit 2."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from diag import redact
from diag.errors import UsageError
from diag.fleet.args import FleetArgs

if TYPE_CHECKING:
    from lifecycle.registry.store import Registry
    from lifecycle.retire_args import RetireRun


@dataclass(frozen=True)
class RetireRequest:
    reason: str = ""
    act: bool = False
    act_config: Path | None = None
    backend: str | None = None
    act_audit: Path | None = None
    act_state: Path | None = None
    bundle_out: Path | None = None
    timeout: float = 60.0


def _gate(reg: Registry, key: str) -> None:
    from lifecycle.evidence import evidence_of
    from lifecycle.phases import Phase, decide

    asset = reg.get(key)
    if asset.phase == "retire":
        return
    d = decide(Phase(asset.phase), Phase.RETIRE, evidence_of(reg.history(asset.host_id)))
    if not d.moves:
        missing = "; ".join(d.missing) or f"no transition {asset.phase} -> retire"
        raise UsageError(f"{key}: cannot retire: {missing}")


def build(key: str, req: RetireRequest, fleet: FleetArgs,
          open_reg: Callable[[], Registry]) -> RetireRun:  # fmt: skip
    from diag.config import state_dir
    from diag.fleet.args import load_targets, ssh_transport
    from diag.health_act import node_map
    from diag.health_act_setup import ActRequest, load_config
    from lifecycle.maintain_setup import lifecycle_breaker
    from lifecycle.registry.store import actor
    from lifecycle.retire_args import RetireRun
    from probes import backends, outputs

    if fleet.inventory is not None and not fleet.limit:
        fleet = replace(fleet, limit=key)
    targets = load_targets(fleet)
    if len(targets) != 1:
        raise UsageError(f"-H/-i name {len(targets)} hosts: give exactly one (--limit {key})")
    reg = open_reg()
    _gate(reg, key)
    config = load_config(ActRequest(req.act, req.act_config, None, req.backend))
    if req.act and config.backend.value == "none":
        raise UsageError("--act needs a backend to drain through: --backend "
                         "slurm|kubernetes|command, or backend: in --act-config")  # fmt: skip
    audit_path = req.act_audit or state_dir() / "retire-audit.jsonl"
    if req.bundle_out is not None:
        from diag.artifacts import check_out_dir, prepare_out

        prepare_out(req.bundle_out, False)
        check_out_dir(req.bundle_out)
    run = RetireRun(
        targets[0],
        node_map(targets)[targets[0].name],
        ssh_transport(fleet, req.timeout),
        reg,
        redact.text(req.reason) or "retired",
        req.act,
        bundle_out=req.bundle_out,
        timeout_s=req.timeout,
        who=actor(),
    )
    if req.act:
        outputs.check_writable(audit_path, "--act-audit", create_parent=True)
        try:
            run.backend = backends.make(config.group())
        except RuntimeError as exc:
            raise UsageError(f"backend {config.backend.value}: {exc}") from None
        run.audit_path = audit_path
        run.breaker = lifecycle_breaker(req.act_state, config.group(), replace(fleet, limit=""))
    return run
