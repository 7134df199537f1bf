"""Glue between the CLI's options and the health library (kept out of cli.py for import speed)."""

from __future__ import annotations

import json
import socket
import sys
from collections.abc import Callable
from pathlib import Path

from diag.checks import REGISTRY
from diag.cli_fleet import FleetArgs
from diag.health import HealthOptions
from diag.policy import Policy, PolicyError
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
        command=(sys.executable, "-I", "-"),
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
        from diag.cli_fleet import load_targets, ssh_transport
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
        from diag.transport.local import LocalTransport

        return [Target(name=socket.gethostname())], LocalTransport()
    raise PolicyError("say which hosts: -H HOST[,HOST...], -i INVENTORY, --local or --replay DIR")


def render_to_stdout(human: bool, verbose: bool, total: int = 0) -> Callable[[Envelope], None]:
    from diag.render import human as render_human

    def emit(env: Envelope) -> None:
        line = render_human(env, verbose) if human else env.model_dump_json()
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    if total > 1:
        from diag.cli_fleet import with_progress

        return with_progress(emit, total)
    return emit


def catalog_rows(policy: Path | None, host_class: str, as_json: bool) -> list[str]:
    pol = Policy.load(policy)
    pol.require_class(host_class, "--host-class")
    rows = []
    for check in REGISTRY.values():
        enabled, rules = pol.check(check.id, host_class)
        item = {
            "id": check.id,
            "title": check.title,
            "reads": check.reads,
            "enabled": enabled,
            "thresholds": dict(rules.thresholds),
            "source": rules.source,
        }
        if as_json:
            rows.append(json.dumps(item))
        else:
            th = ", ".join(f"{k}={v}" for k, v in rules.thresholds.items())
            rows.append(
                f"{check.id:<22} {'on ' if enabled else 'off'} {check.title}\n"
                f"    reads: {check.reads}\n    thresholds: {th}\n"
                f"    source: {rules.source}"
            )
    return rows
