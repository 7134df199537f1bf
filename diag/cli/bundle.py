"""`diagctl bundle`: options, one library call, one envelope per host, exit code."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from diag.cli.options import examples, fleet_options, guarded, one_line_error, output_options
from diag.fleet.args import FleetArgs

MIB = 1 << 20


@click.command(
    epilog=examples(
        "diagctl bundle --local --out bundles",
        "diagctl bundle -H root@10.0.0.7 --identity ~/.ssh/diag_ed25519 --out bundles",
        "diagctl bundle -i inventory.yaml --limit gpu-node-4 --since 48 --out incident-123",
        "diagctl bundle --local --file /var/log/app/server.log --artifact-cap 4 --out b1",
        "diagctl bundle -H gpu-node-4 --nvidia-bug-report --keep-remote --out b2",
    )
)
@click.option("--local", is_flag=True, help="Bundle this machine (no SSH).")
@click.option(
    "--since",
    "since_hours",
    default=24.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Hours of this boot's journal and kernel log to take.",
)
@click.option(
    "--artifact-cap",
    default=8,
    show_default=True,
    type=click.IntRange(min=1),
    help="MiB kept per artifact (logs keep their end).",
)
@click.option(
    "--total-cap",
    default=64,
    show_default=True,
    type=click.IntRange(min=1),
    help="MiB kept for the whole bundle, before compression.",
)
@click.option(
    "--command-timeout",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=1),
    help="Seconds each command on the host may take.",
)
@click.option(
    "--timeout",
    default=300.0,
    show_default=True,
    type=click.FloatRange(min=5),
    help="Per-host deadline in seconds, L1 run and transfer included.",
)
@click.option(
    "--file",
    "files",
    multiple=True,
    metavar="PATH",
    help="Also take this file from each host (its end, capped, redacted); repeatable.",
)
@click.option("--nvidia-bug-report", is_flag=True, help="Also run nvidia-bug-report.sh.")
@click.option("--keep-remote", is_flag=True, help="Leave a copy in /var/tmp on the host.")
@click.option("--no-l1", is_flag=True, help="Skip the L1 health run (its envelope and NVML).")
@click.option("--overwrite", is_flag=True, help="Replace the previous run an --out DIR holds.")
@output_options
@fleet_options
@guarded
def bundle(
    fleet: FleetArgs,
    local: bool,
    since_hours: float,
    artifact_cap: int,
    total_cap: int,
    command_timeout: float,
    timeout: float,
    files: tuple[str, ...],
    nvidia_bug_report: bool,
    keep_remote: bool,
    no_l1: bool,
    overwrite: bool,
    human: bool | None,
    out: Path | None,
) -> None:
    """L2 evidence bundle per host: logs of this and the previous boot, pstore, kdump
    metadata, SEL, PCIe/AER, NVIDIA state, the L1 envelope; capped and redacted on the host,
    streamed back, verified against its manifest, kept under --out DIR/hosts/<host>/.

    stdout: one envelope (kind `bundle`) per host pointing at its bundle.
    """
    from diag.bundle import bundle_targets, run_bundles
    from diag.bundle_payload import BundleOptions
    from diag.cli.options import CliError, wants_human

    if out is None:
        raise CliError("--out DIR is required: bundles land in DIR/hosts/<host>/")
    bad = [f for f in files if not f.startswith("/") or "\0" in f]
    if bad:
        raise CliError(f"--file {bad[0]!r}: give an absolute path on the host")
    opts = BundleOptions(
        artifact_cap=artifact_cap * MIB,
        total_cap=max(total_cap, artifact_cap) * MIB,
        since_hours=since_hours,
        command_timeout_s=command_timeout,
        timeout_s=timeout,
        keep_remote=keep_remote,
        nvidia_bug_report=nvidia_bug_report,
        files=files,
        l1=not no_l1,
    )
    targets, transport, ssh = bundle_targets(local, fleet)
    from diag.artifacts import check_out_dir, prepare_out
    from diag.cli.render import render_to_stdout

    prepare_out(out, overwrite)
    check_out_dir(out)
    emit = render_to_stdout(wants_human(human), True, len(targets), False, None)
    result = run_bundles(targets, transport, opts, out, emit, fleet.forks, ssh)
    for warning in result.warnings:
        click.echo(one_line_error(f"diagctl: {warning}"), err=True)
    sys.exit(int(result.exit))
