"""`diagctl lifecycle incident open|close`: options, the library calls, render, exit code."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from diag.cli.lifecycle import emitter, open_reg, registry_options
from diag.cli.options import (
    CliError,
    comma_list,
    examples,
    fleet_options,
    format_options,
    guarded,
)
from diag.cli.probe_gate import probe_gate_options
from diag.fleet.args import FleetArgs

if TYPE_CHECKING:
    from diag.transport.base import Target
    from lifecycle.incident_evidence import Collected
    from lifecycle.probe_step import ProbeSpec

F = TypeVar("F", bound=Callable[..., Any])


def _collect(
    host: str, fleet: FleetArgs, bundle_out: Path | None, timeout: float, checks: tuple[str, ...]
) -> Collected:
    """The host's evidence over SSH when -H/-i say how to reach it; else none."""

    from lifecycle.incident_evidence import Collected, collect

    if not fleet.wanted:
        if bundle_out is not None:
            raise CliError("--bundle-out needs -H or -i: the bundle is taken over SSH")
        return Collected()
    from diag.fleet.args import ssh_transport

    target = _one_target(host, fleet)
    if bundle_out is not None:
        from diag.artifacts import check_out_dir, prepare_out

        prepare_out(bundle_out, False)
        check_out_dir(bundle_out)
    return collect(ssh_transport(fleet, timeout), target, bundle_out, timeout, checks)


def _one_target(host: str, fleet: FleetArgs) -> Target:
    """The one host -H/-i name (an inventory limited to HOST); HOST itself without them."""
    from dataclasses import replace

    from diag.fleet.args import load_targets
    from diag.transport.base import Target

    if not fleet.wanted:
        return Target(host)
    if fleet.inventory is not None and not fleet.limit:
        fleet = replace(fleet, limit=host)
    targets = load_targets(fleet)
    if len(targets) != 1:
        raise CliError(f"-H/-i name {len(targets)} hosts: give exactly one (--limit {host})")
    return targets[0]


@click.group(
    "incident",
    epilog=examples(
        "diagctl lifecycle incident open gpu-a-01 --reason 'Xid 79' -i fleet.yaml",
        "diagctl lifecycle incident close gpu-a-01 --resolution 'GPU 3 reseated' -i fleet.yaml",
    ),
)
def incident() -> None:
    """Take an asset out of service with its evidence, and bring it back with a resolution."""


def _evidence_options(fn: F) -> F:
    fn = click.option(
        "--check", "check_ids", multiple=True, callback=comma_list, metavar="ID[,ID...]",
        help="Only these check ids in the L1 run.",
    )(fn)  # fmt: skip
    return click.option(
        "--timeout", default=60.0, show_default=True, type=click.FloatRange(min=2),
        help="Per-host deadline of each evidence run (L1, reset-reason).",
    )(fn)  # fmt: skip


@incident.command(
    "open",
    epilog=examples(
        "diagctl lifecycle incident open gpu-a-01 --reason 'Xid 79: fell off the bus'",
        "diagctl lifecycle incident open gpu-a-01 --reason 'Xid 79' -i inv.yaml --bundle-out inc1",
    ),
)
@click.argument("host")
@click.option("--reason", required=True, help="Why (recorded, and in the SIEM event).")
@click.option("--bundle-out", type=click.Path(file_okay=False, path_type=Path),
              help="Also take an L2 bundle into DIR/hosts/<host>/ (needs -H/-i).")  # fmt: skip
@_evidence_options
@format_options
@registry_options
@fleet_options
@guarded
def open_cmd(
    fleet: FleetArgs,
    host: str,
    reason: str,
    bundle_out: Path | None,
    timeout: float,
    check_ids: tuple[str, ...],
    human: bool | None,
    registry: str | None,
    lock_wait: float,
) -> None:
    """Open an incident for HOST (host_id or name): its phase becomes incident (out of service)
    and, with -H/-i, its L1 findings, reset-reason verdict and an optional L2 bundle are
    attached as evidence. One lifecycle.incident envelope."""
    from lifecycle.incident import open_incident
    from lifecycle.registry.store import actor

    if not reason.strip():
        raise CliError("--reason is empty")
    reg = open_reg(registry, lock_wait)
    reg.get(host)  # an unknown asset is exit 2 before the host is touched
    got = _collect(host, fleet, bundle_out, timeout, check_ids)
    emitter(human)(open_incident(reg, host, reason, got, actor()))


@incident.command(
    "close",
    epilog=examples(
        "diagctl lifecycle incident close gpu-a-01 --resolution 'GPU 3 reseated' -i fleet.yaml",
        "diagctl lifecycle incident close gpu-a-01 --resolution 'RMA 4471' --to retire",
        "diagctl lifecycle incident close gpu-a-01 --resolution 'reseated' -i fleet.yaml"
        " --probe-url 'http://{host}:8000' --probe-model llama-3-8b",
    ),
)
@click.argument("host")
@click.option("--resolution", required=True, help="How it was resolved (recorded).")
@click.option("--to", "to", type=click.Choice(["monitor", "retire"]), default="monitor",
              show_default=True, help="Where the asset goes when the gate passes.")  # fmt: skip
@_evidence_options
@probe_gate_options
@format_options
@registry_options
@fleet_options
@guarded
def close_cmd(
    fleet: FleetArgs,
    host: str,
    resolution: str,
    to: str,
    timeout: float,
    check_ids: tuple[str, ...],
    human: bool | None,
    registry: str | None,
    lock_wait: float,
    probe: ProbeSpec | None,
) -> None:
    """Close HOST's incident with a resolution; with -H/-i a fresh L1 run is recorded (with
    --probe-url one token probe too), and the asset moves --to monitor (the resolve gate:
    resolution + L1 pass [+ probe]) or retire. A refused gate leaves it in incident: exit 3
    with what is missing."""
    from lifecycle.incident import close_incident
    from lifecycle.registry.store import actor

    if not resolution.strip():
        raise CliError("--resolution is empty")
    reg = open_reg(registry, lock_wait)
    reg.get(host)
    got = _collect(host, fleet, None, timeout, check_ids)
    if probe is not None:
        from lifecycle.incident_evidence import with_probe
        from lifecycle.probe_step import run_probes

        target = _one_target(host, fleet)
        got = with_probe(got, run_probes(probe, [target])[target.name])
    env = close_incident(reg, host, resolution, to, got, actor())
    emitter(human)(env)
    sys.exit(3 if env.data.phase == "incident" else 0)
