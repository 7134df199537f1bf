"""`diagctl lifecycle`: the asset registry and the phase state machine (docs/lifecycle.md).
SQLAlchemy and Alembic are imported inside the commands, never at `diagctl --help`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from diag.cli.lazy import lazy_group
from diag.cli.options import examples, format_options, guarded, one_line_error, wants_human

if TYPE_CHECKING:
    from lifecycle.registry.store import Registry
    from schemas.envelope import Envelope

F = TypeVar("F", bound=Callable[..., Any])
PHASES = ("receive", "provision", "monitor", "maintain", "incident", "retire")


def drain_options(audit_name: str) -> Callable[[F], F]:
    """The scheduler options of the lifecycle commands that drain (maintain, retire): the
    backend and breaker of health --act, an audit log of their own, one breaker state."""

    def add(fn: F) -> F:
        for option in reversed(
            (
                click.option("--act-config", type=click.Path(dir_okay=False, path_type=Path),
                             help="YAML: backend and breaker, as for health --act."),
                click.option("--backend",
                             type=click.Choice(["slurm", "kubernetes", "command", "none"]),
                             help="Scheduler to drain through (overrides --act-config)."),
                click.option("--act-audit", type=click.Path(dir_okay=False, path_type=Path),
                             help=f"Audit log [~/.local/state/diagctl/{audit_name}]."),
                click.option("--act-state", type=click.Path(dir_okay=False, path_type=Path),
                             help="Breaker state "
                             "[~/.local/state/diagctl/lifecycle-act-state.json]."),
            )
        ):  # fmt: skip
            fn = option(fn)
        return fn

    return add


def registry_options(fn: F) -> F:
    fn = click.option(
        "--registry",
        "registry",
        default=None,
        metavar="URL|FILE",
        help="Registry: an SQLite file, sqlite:///PATH or postgresql+psycopg://... "
        "[$DIAGCTL_REGISTRY; else $XDG_STATE_HOME/diagctl/registry.db].",
    )(fn)
    fn = click.option(
        "--lock-wait",
        default=10.0,
        show_default=True,
        type=click.FloatRange(min=0),
        help="Seconds to wait for another writer's lock before giving up.",
    )(fn)
    return fn


def open_reg(registry: str | None, lock_wait: float) -> Registry:
    from diag.config import state_dir
    from lifecycle.registry.engine import resolve
    from lifecycle.registry.store import open_registry

    return open_registry(resolve(registry, state_dir()), lock_wait)


def emitter(human: bool | None) -> Callable[[Envelope], None]:
    if not wants_human(human):
        return lambda env: click.echo(env.model_dump_json())
    from lifecycle.envelopes import describe
    from schemas.lifecycle import AssetEnvelope, HistoryEnvelope

    def line(env: Envelope) -> None:
        if isinstance(env, AssetEnvelope):
            a = env.data
            row = f"{env.host.name:<24} {a.phase:<10} v{a.version:<4} {a.host_class or '-':<10} "
            row += a.updated_at
        elif isinstance(env, HistoryEnvelope):
            row = f"{env.data.at}  {describe(env.data)}  [{env.data.who}]"
        else:
            row = f"{env.host.name}: {env.status.value} " + "; ".join(
                f"{f.check_id} {f.status.value}: {f.message}" for f in env.findings
            )
        click.echo(one_line_error(row))

    return line


# Subcommands in their own modules (they import this one's options), loaded on first use.
SUBCOMMANDS: dict[str, str] = {
    "receive": "diag.cli.lifecycle_receive:receive",
    "maintain": "diag.cli.lifecycle_maintain:maintain",
    "incident": "diag.cli.lifecycle_incident:incident",
    "provision": "diag.cli.lifecycle_provision:provision",
    "retire": "diag.cli.lifecycle_retire:retire",
    "redeploy": "diag.cli.lifecycle_retire:redeploy",
    "record": "diag.cli.lifecycle_record:record",
}


@click.group(
    cls=lazy_group(SUBCOMMANDS),
    epilog=examples(
        "diagctl lifecycle status --phase monitor",
        "diagctl lifecycle receive -i delivery.yaml --manifest po-117.csv --act",
    ),
)
def lifecycle() -> None:
    """Where every asset is in its life (receive, provision, monitor, maintain, incident,
    retire), what moved it there and on what evidence (docs/lifecycle.md)."""


@lifecycle.command(
    "migrate", epilog=examples("diagctl lifecycle migrate --registry /var/lib/diagctl/registry.db")
)
@registry_options
@guarded
def migrate_cmd(registry: str | None, lock_wait: float) -> None:
    """Create the registry or bring its schema to this diagctl's revision (every command does
    this on first use; run it explicitly before a fleet of cron jobs starts)."""
    from lifecycle.registry.engine import HEAD, shown

    reg = open_reg(registry, lock_wait)
    click.echo(f"registry {shown(reg.url)}: schema at revision {HEAD}")


@lifecycle.command(
    "status",
    epilog=examples(
        "diagctl lifecycle status",
        "diagctl lifecycle status -i inventory.yaml --phase incident --json",
    ),
)
@click.option(
    "-i",
    "--inventory",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Only the assets named in this inventory.",
)
@click.option("--phase", type=click.Choice(PHASES), help="Only assets in this phase.")
@format_options
@registry_options
@guarded
def status_cmd(
    inventory: Path | None,
    phase: str | None,
    human: bool | None,
    registry: str | None,
    lock_wait: float,
) -> None:
    """Every asset's phase: a table on a terminal, a lifecycle.asset envelope per line in a pipe."""
    from lifecycle.envelopes import asset_envelope
    from lifecycle.phases import Phase

    reg = open_reg(registry, lock_wait)
    rows = reg.assets(Phase(phase) if phase else None)
    if inventory is not None:
        from diag.fleet.formats import load_file

        names = set(load_file(inventory).hosts)
        rows = [a for a in rows if a.name in names or a.host_id in names]
    emit = emitter(human)
    for a in rows:
        emit(asset_envelope(a))


@lifecycle.command(
    "history",
    epilog=examples("diagctl lifecycle history gpu-a-01", "diagctl lifecycle history SN123 --json"),
)
@click.argument("host")
@format_options
@registry_options
@guarded
def history_cmd(host: str, human: bool | None, registry: str | None, lock_wait: float) -> None:
    """HOST's story (host_id or name), oldest first: every transition and action, who, when,
    why, and the evidence. lifecycle.transition / lifecycle.action envelopes in a pipe."""
    from lifecycle.envelopes import history_envelope

    reg = open_reg(registry, lock_wait)
    asset = reg.get(host)
    emit = emitter(human)
    for e in reg.history(asset.host_id):
        emit(history_envelope(asset, e))


@lifecycle.command(
    "move",
    epilog=examples(
        "diagctl lifecycle move gpu-a-01 --to maintain --reason 'driver 550 rollout'",
        "diagctl lifecycle move SN123 --to provision --force --reason 'RMA swap, L1 on site'",
        "diagctl lifecycle move gpu-a-01 --to monitor --if-version 7 --evidence post.jsonl",
    ),
)
@click.argument("host")
@click.option("--to", "to", required=True, type=click.Choice(PHASES), help="The phase to move to.")
@click.option("--force", is_flag=True, help="Move although the gate fails (needs --reason).")
@click.option("--reason", default="", help="Why; recorded with who and when.")
@click.option(
    "--if-version",
    type=int,
    default=None,
    help="Only if the asset is still at this version (as status showed it).",
)
@click.option(
    "--evidence",
    "evidence",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file to record with the move (bundle, envelope, audit log), hashed.",
)
@format_options
@registry_options
@guarded
def move_cmd(
    host: str,
    to: str,
    force: bool,
    reason: str,
    if_version: int | None,
    evidence: tuple[Path, ...],
    human: bool | None,
    registry: str | None,
    lock_wait: float,
) -> None:
    """Move HOST to another phase when the transition's gate passes on the evidence recorded
    since it entered its phase; a failing gate is refused (exit 2) with what is missing,
    unless --force --reason. Two writers at once: one wins, the other gets a conflict."""
    from lifecycle.envelopes import history_envelope, pointer_for
    from lifecycle.evidence import evidence_of
    from lifecycle.phases import Phase, Verdict, decide, next_phases
    from lifecycle.registry.errors import RegistryError
    from lifecycle.registry.store import actor, conflict

    pointers = [pointer_for(p) for p in evidence]
    reg = open_reg(registry, lock_wait)
    asset = reg.get(host)
    if if_version is not None and asset.version != if_version:
        raise conflict(asset, if_version)
    cur, target = Phase(asset.phase), Phase(to)
    d = decide(cur, target, evidence_of(reg.history(asset.host_id)), force, reason)
    if d.verdict is Verdict.ILLEGAL:
        nxt = ", ".join(p.value for p in next_phases(cur)) or "none"
        raise RegistryError(f"{host}: no transition {cur.value} -> {to} (from {cur.value}: {nxt})")
    if d.verdict is Verdict.BLOCKED:
        raise RegistryError(
            f"{host}: gate {cur.value} -> {to} refused: {'; '.join(d.missing)} "
            "(record the evidence, or --force --reason TEXT)"
        )
    if d.verdict is Verdict.NO_REASON:
        raise RegistryError(f"{host}: --force needs --reason TEXT (recorded with who and when)")
    version = asset.version if if_version is None else if_version
    entry = reg.move(asset.host_id, target, version, d, actor(), reason, pointers)
    emitter(human)(history_envelope(reg.get(asset.host_id), entry))
