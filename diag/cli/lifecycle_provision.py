"""`diagctl lifecycle provision`: render user-data, or verify the baseline after first boot."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

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
    from lifecycle.probe_step import ProbeSpec
    from schemas.envelope import Envelope


@click.command(
    "provision",
    epilog=examples(
        "diagctl lifecycle provision gpu-a-01 --class gpu-h100 --values site.yaml --out ud.yaml",
        "diagctl lifecycle provision gpu-a-01 --class gpu-h100 --values site.yaml --verify "
        "-i fleet.yaml",
        "diagctl lifecycle provision gpu-a-01 --class gpu-h100 --values site.yaml --verify "
        "-i fleet.yaml --probe-url 'http://{host}:8000' --probe-model llama-3-8b",
    ),
)
@click.argument("host")
@click.option("--class", "host_class", required=True, help="Node class in the values file.")
@click.option(
    "--values",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="cloud-init values file (docs/airgap.md); the class's baseline is read from it.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the class's user-data here (atomically).",
)
@click.option(
    "--verify",
    is_flag=True,
    help="After first boot: L1 run over -H/-i, baseline conformance, snapshot, move to "
    "monitor on pass (drift from the snapshot when the asset is in monitor).",
)
@click.option(
    "--check",
    "check_ids",
    multiple=True,
    callback=comma_list,
    metavar="ID[,ID...]",
    help="Only these check ids in the L1 run.",
)
@click.option("--timeout", default=60.0, show_default=True, type=click.FloatRange(min=2),
              help="Per-host deadline of the L1 run.")  # fmt: skip
@click.option("--strict", is_flag=True, help="An unknown L1 finding fails too.")
@probe_gate_options
@format_options
@registry_options
@fleet_options
@guarded
def provision(
    fleet: FleetArgs,
    host: str,
    host_class: str,
    values: Path,
    out: Path | None,
    verify: bool,
    check_ids: tuple[str, ...],
    timeout: float,
    strict: bool,
    probe: ProbeSpec | None,
    human: bool | None,
    registry: str | None,
    lock_wait: float,
) -> None:
    """Provision HOST (host_id or name): --out renders the cloud-init user-data of --class from
    --values (recorded with its sha256); --verify checks, after first boot, that the host runs
    the class baseline (driver, CUDA, VBIOS, kernel) and captures it as the baseline snapshot."""
    from airgap.cloudinit import context, load_values
    from diag.exitcodes import ExitPolicy
    from lifecycle.provision import render_to
    from lifecycle.registry.store import actor

    if (out is not None) == verify:
        raise CliError("give --out FILE (render) or --verify (after first boot), one of them")
    if probe is not None and not verify:
        raise CliError("--probe-url is a --verify step (the service gate reads it)")
    vals = load_values(values)
    context(vals, host_class)  # an unknown class is exit 2 before anything is written
    reg = open_reg(registry, lock_wait)
    reg.get(host)
    emit = emitter(human)
    if out is not None:
        from probes.outputs import check_writable

        check_writable(out, "--out")
        emit(render_to(reg, host, vals, host_class, out, actor()))
        return
    env, target = _l1(host, fleet, check_ids, timeout, probe)
    from lifecycle.probe_step import run_probes
    from lifecycle.provision import verify as verify_baseline

    probed = run_probes(probe, [target])[target.name] if probe is not None else None
    base = vals.classes[host_class].baseline
    res = verify_baseline(reg, host, base, host_class, env, actor(), ExitPolicy(strict), probed)
    emit(res)
    sys.exit(0 if res.status.value == "pass" else 3)


def _l1(
    host: str,
    fleet: FleetArgs,
    check_ids: tuple[str, ...],
    timeout: float,
    probe: ProbeSpec | None,
) -> tuple[Envelope, Target]:
    from dataclasses import replace

    from diag.health import health_targets, options_for
    from diag.session import run_health
    from lifecycle.probe_step import check_spec

    if not fleet.wanted:
        raise CliError("--verify needs -H or -i: the L1 run reaches the host over SSH")
    if fleet.inventory is not None and not fleet.limit:
        fleet = replace(fleet, limit=host)
    hopts = options_for(None, check_ids, timeout, 256 * 1024, "")
    targets, transport = health_targets(False, None, fleet, hopts)
    if len(targets) != 1:
        raise CliError(f"-H/-i name {len(targets)} hosts: give exactly one (--limit {host})")
    if probe is not None:
        check_spec(probe, targets)  # a bad URL is exit 2 before the host is touched
    got = run_health(targets, transport, hopts, lambda e: None, summary=False).envelopes[0]
    return got, targets[0]
