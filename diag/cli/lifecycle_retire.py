"""`diagctl lifecycle retire` and `redeploy`: options, the library calls, render, exit code."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from diag.cli.lifecycle import drain_options, emitter, open_reg, registry_options
from diag.cli.options import CliError, examples, fleet_options, format_options, guarded
from diag.fleet.args import FleetArgs


@click.command(
    "retire",
    epilog=examples(
        "diagctl lifecycle retire gpu-a-01 --reason 'end of lease'",
        "diagctl lifecycle retire gpu-a-01 -i fleet.yaml --reason 'end of lease'",
        "diagctl lifecycle retire gpu-a-01 -i fleet.yaml --reason 'end of lease' "
        "--backend slurm --bundle-out final --act",
        "diagctl lifecycle retire gpu-a-01 --method crypto-erase --note 'nvme format -s2'",
        "diagctl lifecycle retire gpu-a-01 --method crypto-erase --note 'nvme format -s2' "
        "--confirm 3f2a9c1b7d4e",
    ),
)
@click.argument("host")
@click.option("--reason", default="", help="Why it is retired (recorded).")
@click.option("--method", default="", help="Sanitisation done: crypto-erase, block-erase, "
              "overwrite, nvme-format, ata-secure-erase or destroyed.")  # fmt: skip
@click.option("--note", default="", help="What was done and its result, in your words.")
@click.option("--confirm", default="", metavar="TOKEN", help="The token a run without it printed.")
@click.option("--force", is_flag=True, help="Attest a method the detection said a disk lacks "
              "(needs --reason).")  # fmt: skip
@click.option("--act", is_flag=True, help="With -H/-i: really drain, move and bundle (default: "
              "plan, and detect read-only).")  # fmt: skip
@drain_options("retire-audit.jsonl")
@click.option("--bundle-out", type=click.Path(file_okay=False, path_type=Path),
              help="Take the final L2 bundle into DIR/hosts/<host>/ (needs -H/-i).")  # fmt: skip
@click.option("--timeout", default=60.0, show_default=True, type=click.FloatRange(min=2),
              help="Seconds the erase-capability detection may take.")  # fmt: skip
@format_options
@registry_options
@fleet_options
@guarded
def retire(fleet: FleetArgs, host: str, reason: str, method: str, note: str, confirm: str,
           force: bool, human: bool | None, registry: str | None, lock_wait: float,
           **kw: Any) -> None:  # fmt: skip
    """Retire HOST (host_id or name). With -H/-i: drain its node (blast-radius breaker,
    audited), move it to retire, take a final bundle (--bundle-out) and detect, read-only,
    which erase methods its disks support; a dry run unless --act. With --method: attest the
    sanitisation done (a dry run prints the confirmation token; --confirm records it)."""
    if force and not reason:
        raise CliError("--force needs --reason TEXT (recorded with the attestation)")
    if fleet.wanted:
        if method:
            raise CliError("--method attests an erase done after the retire run: "
                           "give it without -H/-i")  # fmt: skip
        _retire_host(fleet, host, reason, human, registry, lock_wait, kw)
    if kw["bundle_out"] is not None:
        raise CliError("--bundle-out needs -H or -i: the bundle is taken over SSH")
    _retire_registry(host, reason, method, note, confirm, force, human, registry, lock_wait)


def _retire_host(fleet: FleetArgs, host: str, reason: str, human: bool | None,
                 registry: str | None, lock_wait: float, kw: dict[str, Any]) -> None:  # fmt: skip
    from lifecycle.retire_run import run
    from lifecycle.retire_setup import RetireRequest, build

    req = RetireRequest(reason=reason, **kw)
    env, code = run(build(host, req, fleet, lambda: open_reg(registry, lock_wait)))
    emitter(human)(env)
    sys.exit(int(code))


def _retire_registry(
    host: str,
    reason: str,
    method: str,
    note: str,
    confirm: str,
    force: bool,
    human: bool | None,
    registry: str | None,
    lock_wait: float,
) -> None:
    from lifecycle.envelopes import asset_envelope
    from lifecycle.registry.store import actor
    from lifecycle.retire import METHODS, attest
    from lifecycle.retire import retire as retire_asset

    if method and method not in METHODS:  # before anything moves
        raise CliError(f"--method {method!r}: one of {', '.join(METHODS)}")
    reg = open_reg(registry, lock_wait)
    if reg.get(host).phase != "retire":
        _moved, missing = retire_asset(reg, host, reason, actor())
        if missing:
            raise CliError(f"{host}: cannot retire: {'; '.join(missing)}")
    if method:
        forced = reason if force else ""
        token, done = attest(reg, host, method, note, confirm, actor(), forced)
        if not done:
            click.echo(f"dry run: to record this attestation, add --confirm {token}", err=True)
    emitter(human)(asset_envelope(reg.get(host)))


@click.command(
    "redeploy",
    epilog=examples("diagctl lifecycle redeploy gpu-a-01 --class gpu-l40s"),
)
@click.argument("host")
@click.option("--class", "host_class", default="", help="The class it serves in next.")
@format_options
@registry_options
@guarded
def redeploy(
    host: str, host_class: str, human: bool | None, registry: str | None, lock_wait: float
) -> None:
    """Send a retired HOST back to provision (the redeploy gate: sanitisation attested)."""
    from lifecycle.envelopes import asset_envelope
    from lifecycle.registry.store import actor
    from lifecycle.retire import redeploy as redeploy_asset

    reg = open_reg(registry, lock_wait)
    missing = redeploy_asset(reg, host, host_class, actor())
    if missing:
        raise CliError(f"{host}: redeploy refused: {'; '.join(missing)}")
    emitter(human)(asset_envelope(reg.get(host)))
