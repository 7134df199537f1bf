"""`diagctl lifecycle receive`: options, the library calls, render, exit code."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from diag.cli.lifecycle import emitter, open_reg, registry_options
from diag.cli.options import comma_list, examples, fleet_options, format_options, guarded
from diag.cli.probe_gate import probe_gate_options
from diag.fleet.args import FleetArgs

if TYPE_CHECKING:
    from lifecycle.probe_step import ProbeSpec


@click.command(
    "receive",
    epilog=examples(
        "diagctl lifecycle receive -i delivery.yaml --manifest po-117.csv",
        "diagctl lifecycle receive -i delivery.yaml --manifest po-117.yaml --act --out recv1",
        "diagctl lifecycle receive -i new.yaml --manifest po.csv --policy accept.yaml --strict",
        "diagctl lifecycle receive -H root@10.0.0.7 --manifest po.csv --burn-in 'dcgmi diag -r 3'",
        "diagctl lifecycle receive -i new.yaml --manifest po.csv --probe-url 'http://{host}:8000'"
        " --probe-model llama-3-8b --act",
    ),
)
@click.option(
    "--manifest",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Expected machines (CSV or YAML from the purchase order).",
)
@click.option("--burn-in", default="", help="Shell command run on each host; exit 0 passes.")
@click.option(
    "--burn-in-timeout",
    default=3600.0,
    show_default=True,
    type=click.FloatRange(min=1),
    help="Seconds the burn-in may take.",
)
@click.option(
    "--act",
    is_flag=True,
    help="Record assets, steps and moves in the registry (without it: a dry run).",
)
@click.option("--host-class", default="", help="Class of -H hosts (an inventory's class wins).")
@click.option(
    "--timeout",
    default=60.0,
    show_default=True,
    type=click.FloatRange(min=2),
    help="Per-host deadline of the L1 health run, in seconds.",
)
@click.option(
    "--policy",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Policy YAML for the L1 run (the site's acceptance thresholds).",
)
@click.option(
    "--check",
    "check_ids",
    multiple=True,
    callback=comma_list,
    metavar="ID[,ID...]",
    help="Run only these L1 check ids.",
)
@click.option("--strict", is_flag=True, help="An unknown L1 finding fails acceptance too.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep the L1 run as DIR/hosts/<host>/envelope.json (evidence pointers).",
)
@probe_gate_options
@format_options
@registry_options
@fleet_options
@guarded
def receive(
    fleet: FleetArgs,
    manifest: Path,
    burn_in: str,
    burn_in_timeout: float,
    act: bool,
    host_class: str,
    timeout: float,
    policy: Path | None,
    check_ids: tuple[str, ...],
    strict: bool,
    out: Path | None,
    human: bool | None,
    registry: str | None,
    lock_wait: float,
    probe: ProbeSpec | None,
) -> None:
    """Accept delivered machines: an L1 health run captures identity and inventory, compared
    with --manifest (mismatches are findings); --burn-in runs a command on each host
    (recorded as evidence); --probe-url sends one token probe to each node's endpoint. With
    --act the asset, every step and — when the acceptance gate passes — its move to provision
    are recorded. Never changes a host otherwise."""
    from dataclasses import replace

    from diag.exitcodes import ExitPolicy
    from diag.health import health_targets, options_for, run_session
    from lifecycle.manifest import load_manifest
    from lifecycle.receive import ReceiveOptions, run_burn_in
    from lifecycle.receive import receive as judge
    from schemas.envelope import Envelope

    opts = ReceiveOptions(
        load_manifest(manifest), burn_in, burn_in_timeout, act, ExitPolicy(strict), out
    )
    reg = open_reg(registry, lock_wait) if act else None
    hopts = options_for(policy, check_ids, timeout, 256 * 1024, "")
    targets, transport = health_targets(False, None, fleet, hopts)
    if host_class:
        targets = [t if t.host_class else replace(t, host_class=host_class) for t in targets]
    if probe is not None:
        from lifecycle.probe_step import check_spec

        check_spec(probe, targets)
    if out is not None:
        from diag.artifacts import prepare_out

        prepare_out(out)
    envs: list[Envelope] = []
    run_session(targets, transport, hopts, envs.append, out, fleet, opts.exits)
    burns = None
    if burn_in:
        from diag.fleet.args import ssh_transport

        burns = run_burn_in(
            targets, ssh_transport(fleet, burn_in_timeout), burn_in, burn_in_timeout, fleet.forks
        )
    probes = None
    if probe is not None:
        from lifecycle.probe_step import run_probes

        probes = run_probes(probe, targets)
    sys.exit(int(judge(envs, targets, burns, opts, reg, emitter(human), probes)))
