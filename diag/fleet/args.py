"""The fleet options every SSH-driven tool takes (-H/-i/--limit/--identity/...), and what
they build: the targets to reach and the transport to reach them with. No click here: the
CLI's `fleet_options` fills one `FleetArgs`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from diag.errors import InventoryError, PolicyError, UsageError
from diag.transport.base import Target, Transport

if TYPE_CHECKING:
    from diag.transport.fabric_transport import FabricTransport


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
    become: bool = False

    @property
    def wanted(self) -> bool:
        return bool(self.hosts or self.inventory)


def load_targets(args: FleetArgs) -> list[Target]:
    from diag.fleet.formats import load_file
    from diag.fleet.inventory import from_entries, with_defaults
    from diag.fleet.limit import select

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
        become=args.become,
    )
    if args.transport == "fabric":
        return _fabric_transport()(settings, threads=args.forks)
    from diag.transport.asyncssh_transport import AsyncSSHTransport

    return AsyncSSHTransport(settings)


FABRIC_MISSING = (
    "--transport fabric needs the optional fabric package: pip install 'diagctl[fabric]' "
    "(or use the default --transport asyncssh)"
)


def _fabric_transport() -> type[FabricTransport]:
    """The fabric engine, which lives in the `fabric` extra: without it, a usage error."""
    try:
        from diag.transport.fabric_transport import FabricTransport
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] not in ("fabric", "paramiko", "invoke"):
            raise
        raise UsageError(FABRIC_MISSING) from None
    return FabricTransport
