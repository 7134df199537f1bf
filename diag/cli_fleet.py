"""CLI glue for SSH fan-out: the `-H/-i/--limit/--identity/...` options and what they build.

`fleet_options` adds the options to a command and hands the command one `FleetArgs`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:  # kept out of `diagctl --help`'s import time
    from diag.exitcodes import ExitPolicy
    from diag.health import HealthOptions
    from diag.session import SessionResult
    from diag.transport.base import Target, Transport
    from schemas.envelope import Envelope

F = TypeVar("F", bound=Callable[..., Any])
_NAMES = (
    "hosts",
    "inventory",
    "limit",
    "identity",
    "known_hosts",
    "accept_new",
    "forks",
    "transport",
    "user",
    "jump",
    "ssh_config",
    "connect_timeout",
    "workers",
)


@dataclass(frozen=True)
class FleetArgs:
    hosts: tuple[str, ...] = ()
    inventory: Path | None = None
    limit: str = ""
    identity: Path | None = None
    known_hosts: Path | None = None
    accept_new: bool = False
    forks: int = 64
    transport: str = "asyncssh"
    user: str = ""
    jump: str = ""
    ssh_config: Path | None = None
    connect_timeout: float = 10.0
    workers: int = 0

    @property
    def wanted(self) -> bool:
        return bool(self.hosts or self.inventory)


_OPTIONS = [
    click.option(
        "-H",
        "--hosts",
        multiple=True,
        metavar="HOST[,HOST...]",
        help="Hosts as [user@]host[:port], comma-separated; IPv6 as [addr]:port.",
    ),
    click.option(
        "-i",
        "--inventory",
        type=click.Path(dir_okay=False, path_type=Path),
        help="diagctl YAML, Ansible INI/YAML inventory, or a file of host entries.",
    ),
    click.option(
        "--limit",
        default="",
        help="Ansible-style pattern: group, glob, ~regex, a:b, &and, !not, @file.",
    ),
    click.option(
        "--identity",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Private key file (the agent is used too).",
    ),
    click.option(
        "--known-hosts",
        type=click.Path(dir_okay=False, path_type=Path),
        help="known_hosts file to check host keys against [~/.ssh/known_hosts].",
    ),
    click.option(
        "--accept-new",
        is_flag=True,
        help="Record first-seen host keys in known_hosts; a CHANGED key is still refused.",
    ),
    click.option(
        "--forks",
        default=64,
        show_default=True,
        type=click.IntRange(1, 4096),
        help="Hosts in flight at once.",
    ),
    click.option(
        "--transport",
        type=click.Choice(["asyncssh", "fabric"]),
        default="asyncssh",
        show_default=True,
        help="SSH implementation.",
    ),
    click.option("--user", default="", help="Default SSH user (inventory and -H win)."),
    click.option(
        "--jump",
        default="",
        metavar="[USER@]HOST[:PORT]",
        help="Default jump host / bastion (ProxyJump).",
    ),
    click.option(
        "--ssh-config",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Honour this OpenSSH client config (e.g. ~/.ssh/config); none is read otherwise.",
    ),
    click.option(
        "--workers",
        default=0,
        type=click.IntRange(0, 256),
        help="Worker processes for SSH runs [0: one per core, but each gets 256+ hosts].",
    ),
    click.option(
        "--connect-timeout",
        default=10.0,
        show_default=True,
        type=click.FloatRange(min=0.5),
        help="Seconds for TCP + SSH handshake.",
    ),
]


def fleet_options(fn: F) -> F:
    """Add the SSH fan-out options; the command receives them as `fleet: FleetArgs`."""
    for opt in reversed(_OPTIONS):
        fn = opt(fn)

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        given = {n: kwargs.pop(n) for n in _NAMES}
        given["limit"] = given["limit"] or ""
        return fn(*args, fleet=FleetArgs(**given), **kwargs)

    return wrapper  # type: ignore[return-value]


def load_targets(args: FleetArgs) -> list[Target]:
    from diag.inventory import InventoryError, from_entries, load_file, with_defaults
    from diag.limit import select

    entries = [e for h in args.hosts for e in h.split(",") if e.strip()]
    if entries and args.inventory:
        raise InventoryError("-H and -i exclude each other")
    inv = load_file(args.inventory) if args.inventory else from_entries(entries)
    names = select(inv, args.limit) if args.limit else list(inv.hosts)
    from diag.transport.ssh_common import parse_jump

    ident = str(args.identity.expanduser()) if args.identity else ""
    targets = with_defaults(inv.targets(names), args.user, ident, args.jump)
    for jump in {t.jump for t in targets if t.jump}:
        parse_jump(jump)  # a bad jump spec is a usage error now, not one error per host
    return targets


def ssh_transport(args: FleetArgs, timeout: float) -> Transport:
    from diag.policy import PolicyError
    from diag.transport.ssh_common import SSHSettings

    if args.identity and not args.identity.expanduser().is_file():
        raise PolicyError(f"--identity {args.identity}: no such file")
    if args.ssh_config and not args.ssh_config.expanduser().is_file():
        raise PolicyError(f"--ssh-config {args.ssh_config}: no such file")
    settings = SSHSettings(
        known_hosts=(args.known_hosts or Path("~/.ssh/known_hosts")).expanduser(),
        accept_new=args.accept_new,
        identity=str(args.identity.expanduser()) if args.identity else "",
        user=args.user,
        jump=args.jump,
        ssh_config=args.ssh_config.expanduser() if args.ssh_config else None,
        connect_timeout_s=min(args.connect_timeout, timeout),
    )
    if args.transport == "fabric":
        from diag.transport.fabric_transport import FabricTransport

        return FabricTransport(settings, threads=args.forks)
    from diag.transport.asyncssh_transport import AsyncSSHTransport

    return AsyncSSHTransport(settings)


def with_progress(emit: Callable[[Envelope], None], total: int) -> Callable[[Envelope], None]:
    """A one-line progress count on stderr, only when stderr is a terminal."""
    if not sys.stderr.isatty():
        return emit
    counts: dict[str, int] = {}

    def wrapped(env: Envelope) -> None:
        counts[env.status.value] = counts.get(env.status.value, 0) + 1
        done = sum(counts.values())
        sys.stderr.write("\r\x1b[2K")  # clear the progress line before the envelope prints
        emit(env)
        detail = " ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        end = "\n" if done >= total else ""
        sys.stderr.write(f"\r[{done}/{total}] {detail}{end}")
        sys.stderr.flush()

    return wrapped


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
    from diag.workers import auto_workers, run_health_workers

    if out is not None:
        check_out_dir(out)
    workers = args.workers or (auto_workers(len(targets)) if args.wanted else 1)
    workers = min(workers, len(targets)) if args.wanted else 1
    if workers > 1:
        return run_health_workers(targets, transport, opts, emit, out, args.forks, workers, exits)
    return run_health(targets, transport, opts, emit, out, forks=args.forks, exit_policy=exits)
