"""`diagctl health` as a library: the options of a run, its targets and transport, the run
itself (one process or worker processes), and the check catalog. No click, no printing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from diag.checks import REGISTRY
from diag.errors import PolicyError
from diag.exitcodes import ExitPolicy
from diag.fleet.args import FleetArgs
from diag.hostcheck import HealthOptions
from diag.payload import local_argv
from diag.policy import Policy
from diag.session import SessionResult
from diag.transport.base import Target, Transport
from schemas.envelope import Envelope


def options_for(
    policy: Path | None,
    check_ids: tuple[str, ...],
    timeout: float,
    max_bytes: int,
    host_class: str,
    expect_gpus: int | None = None,
) -> HealthOptions:
    unknown = [c for c in check_ids if c not in REGISTRY]
    if unknown:
        raise PolicyError(f"unknown check id(s) {unknown}; see `diagctl checks list`")
    checks = [REGISTRY[c] for c in check_ids] if check_ids else list(REGISTRY.values())
    loaded = Policy.load(policy)
    loaded.require_class(host_class, "--host-class")
    check_xid_policy(loaded)
    return HealthOptions(
        policy=loaded,
        checks=checks,
        timeout_s=timeout,
        max_bytes=max_bytes,
        host_class=host_class,
        command=local_argv(),
        extra={} if expect_gpus is None else {"expect_gpus": expect_gpus},
    )


def check_xid_policy(pol: Policy) -> None:
    """A bad XID table or override is a usage error (exit 2) before any host is touched."""
    from diag.checks.gpu.xid_table import xid_policy

    for host_class in ["", *pol.doc.classes]:
        try:
            xid_policy(pol.check("gpu.xid", host_class)[1].thresholds)
        except ValueError as exc:
            where = f" (class {host_class})" if host_class else ""
            raise PolicyError(f"{exc}{where}") from exc


def health_targets(
    local: bool,
    replay: Path | None,
    fleet: FleetArgs | None = None,
    opts: HealthOptions | None = None,
) -> tuple[list[Target], Transport]:
    if sum(map(bool, (local, replay, fleet and fleet.wanted))) > 1:
        raise PolicyError("--local, --replay and -H/-i exclude each other")
    if fleet is not None and fleet.become and not fleet.wanted:
        raise PolicyError("--become needs -H or -i: it runs the payload through sudo on SSH hosts")
    if fleet is not None and fleet.wanted:
        from diag.fleet.args import load_targets, ssh_transport
        from diag.payload import SH_ARGV

        targets = load_targets(fleet)
        if opts is not None:
            opts.command = SH_ARGV  # one `sh -s` exec: python3 payload or the sh fallback
            opts.policy.require_classes(
                ((t.name, t.host_class) for t in targets), f"inventory {fleet.inventory}"
            )
        return targets, ssh_transport(fleet, opts.timeout_s if opts else 30.0)
    if replay is not None:
        from diag.session import replay_targets
        from diag.transport.replay import ReplayTransport

        rt = ReplayTransport(replay)
        targets = replay_targets(rt, fleet.limit if fleet is not None else "")
        if opts is not None:
            opts.policy.require_classes(
                ((t.name, t.host_class) for t in targets), f"--replay {replay}"
            )
        return targets, rt
    if local:
        from diag.transport.local import BlockingLocal, local_name

        return [Target(name=local_name())], BlockingLocal()
    raise PolicyError("say which hosts: -H HOST[,HOST...], -i INVENTORY, --local or --replay DIR")


def run_session(
    targets: list[Target],
    transport: Transport,
    opts: HealthOptions,
    emit: Callable[[Envelope], None],
    out: Path | None,
    args: FleetArgs,
    exits: ExitPolicy,
) -> SessionResult:
    """One process, or several worker processes for a large SSH fleet (--workers).

    An unusable --out (read-only, under a file, disk full) is exit 2 before any host is touched.
    """
    from diag.artifacts import check_out_dir
    from diag.session import run_health

    if out is not None:
        check_out_dir(out)
    if args.wanted:  # an SSH fleet; --local and --replay run in this process
        from diag.workers import auto_workers, run_health_workers

        workers = min(args.workers or auto_workers(len(targets)), len(targets))
        if workers > 1:
            return run_health_workers(
                targets, transport, opts, emit, out, args.forks, workers, exits
            )
    return run_health(targets, transport, opts, emit, out, forks=args.forks, exit_policy=exits)


def catalog(policy: Path | None, host_class: str) -> list[dict[str, Any]]:
    """Every check: id, title, what it reads, enabled, effective thresholds and their source."""
    pol = Policy.load(policy)
    pol.require_class(host_class, "--host-class")
    rows = []
    for check in REGISTRY.values():
        enabled, rules = pol.check(check.id, host_class)
        rows.append(
            {
                "id": check.id,
                "title": check.title,
                "reads": check.reads,
                "enabled": enabled,
                "thresholds": dict(rules.thresholds),
                "source": rules.source,
            }
        )
    return rows
