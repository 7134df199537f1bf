"""`diagctl lifecycle retire` and `redeploy`: options, the library calls, render, exit code."""

from __future__ import annotations

import click

from diag.cli.lifecycle import emitter, open_reg, registry_options
from diag.cli.options import CliError, examples, format_options, guarded


@click.command(
    "retire",
    epilog=examples(
        "diagctl lifecycle retire gpu-a-01 --reason 'end of lease'",
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
@format_options
@registry_options
@guarded
def retire(host: str, reason: str, method: str, note: str, confirm: str, human: bool | None,
           registry: str | None, lock_wait: float) -> None:  # fmt: skip
    """Retire HOST (host_id or name): move it to retire; with --method, attest its data
    sanitisation: without --confirm a dry run prints the confirmation token, with the token
    the attestation is recorded (the redeploy gate needs it)."""
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
        token, done = attest(reg, host, method, note, confirm, actor())
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
def redeploy(host: str, host_class: str, human: bool | None, registry: str | None,
             lock_wait: float) -> None:  # fmt: skip
    """Send a retired HOST back to provision (the redeploy gate: sanitisation attested)."""
    from lifecycle.envelopes import asset_envelope
    from lifecycle.registry.store import actor
    from lifecycle.retire import redeploy as redeploy_asset

    reg = open_reg(registry, lock_wait)
    missing = redeploy_asset(reg, host, host_class, actor())
    if missing:
        raise CliError(f"{host}: redeploy refused: {'; '.join(missing)}")
    emitter(human)(asset_envelope(reg.get(host)))
