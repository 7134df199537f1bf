"""Inventories: who to check and how to reach them, as `Target`s.

Formats read (pure parsing: text in, targets out, no network or SSH):
- diagctl YAML: ``hosts:`` (name -> vars or null) and ``groups:`` (name -> {hosts, vars}),
  with per-host/per-group vars ``address``, ``user``, ``port``, ``key``, ``jump``, ``host_class``.
- Ansible YAML (``all: {hosts, children, vars}``) and Ansible INI (``[group]``, ``[g:vars]``,
  ``[g:children]``, ``ansible_host/ansible_user/ansible_port/ansible_ssh_private_key_file``).
- A plain host list: one ``[user@]host[:port]`` per line, ``#`` comments.
- ``-H a,b,c`` entries in the same ``[user@]host[:port]`` form; IPv6 as ``[::1]:2222``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import ValidationError

from diag.errors import InventoryError
from diag.transport.base import Target, parse_entry
from schemas.inventory import AnsibleVars, HostVars

# Ansible's names first, ours second; the later name wins when both are given.
VAR_ALIASES = {
    "ansible_host": "address",
    "ansible_ssh_host": "address",
    "ansible_user": "user",
    "ansible_ssh_user": "user",
    "ansible_port": "port",
    "ansible_ssh_port": "port",
    "ansible_ssh_private_key_file": "key",
    "identity": "key",
    "host_class": "host_class",
    "address": "address",
    "user": "user",
    "port": "port",
    "key": "key",
    "jump": "jump",
    "proxy_jump": "jump",
}


KNOWN_VARS = "address, user, port, key, jump, host_class, node, slurm_node and Ansible names"


@dataclass
class Inventory:
    """Hosts in file order, the groups each belongs to, and merged vars per host."""

    hosts: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, list[str]] = field(default_factory=dict)
    # Set views of `groups`, so that joining a group is O(1) (a list scan made parsing O(n^2)).
    _members: dict[str, set[str]] = field(default_factory=dict, repr=False)

    def join(self, group: str, name: str) -> bool:
        """Put `name` in `group` (kept in order); False when it already was a member."""
        seen = self._members.setdefault(group, set())
        if name in seen:
            return False
        seen.add(name)
        self.groups.setdefault(group, []).append(name)
        return True

    def add(self, name: str, hvars: Mapping[str, Any] | None, group: str = "") -> bool:
        """Add a host to a group; False when it was already listed in that group."""
        cur = self.hosts.setdefault(name, {})
        for k, v in (hvars or {}).items():
            cur.setdefault(k, v)  # host vars set first win over later group vars
        fresh = self.join(group or "ungrouped", name)
        self.join("all", name)
        return fresh

    def targets(self, names: Iterable[str] | None = None) -> list[Target]:
        return [to_target(n, self.hosts[n]) for n in (names or self.hosts)]


def check_vars(value: Any, where: str, ansible: bool = False) -> dict[str, Any]:
    """A vars mapping, its connection vars type-checked; diagctl YAML allows no other key.

    Ansible INI values are text (`ansible_port=2200`), so a port there may be digits.
    """
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InventoryError(f"{where}: expected a mapping of vars, got {type(value).__name__}")
    bad = [k for k in value if not isinstance(k, str)]
    if bad:
        raise InventoryError(f"{where}: var name {bad[0]!r} is not a string")
    out = dict(value)
    if ansible:
        for k in ("ansible_port", "ansible_ssh_port", "port"):
            if isinstance(out.get(k), str) and out[k].strip().isdigit():
                out[k] = int(out[k])
    try:
        (AnsibleVars if ansible else HostVars).model_validate(out)
    except ValidationError as exc:
        err = exc.errors()[0]
        var = ".".join(str(x) for x in err["loc"])
        if err["type"] == "extra_forbidden":
            raise InventoryError(f"{where}: {var}: unknown var (known: {KNOWN_VARS})") from None
        shown = repr(err.get("input"))
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        raise InventoryError(f"{where}: {var}: {err['msg']}, got {shown}") from None
    return out


# `[group]`, `[group:vars]`: an IPv6 entry `[::1]:22` never looks like this.
def entry_vars(entry: str) -> tuple[str, dict[str, Any]]:
    """The name a host is reported under (the entry as given) and its connection vars."""
    user, host, port = parse_entry(entry)
    hvars: dict[str, Any] = {"address": host}
    if user:
        hvars["user"] = user
    if port is not None:
        hvars["port"] = port
    return entry.strip(), hvars


def to_target(name: str, hvars: Mapping[str, Any]) -> Target:
    norm: dict[str, Any] = {}
    for k, v in hvars.items():
        if k in VAR_ALIASES:
            norm[VAR_ALIASES[k]] = v
    try:
        port = int(norm.get("port", 22))
    except (TypeError, ValueError):
        raise InventoryError(f"host {name!r}: port {norm.get('port')!r} is not a number") from None
    if not 0 < port < 65536:
        raise InventoryError(f"host {name!r}: port {port} out of range")
    address = str(norm.get("address") or name)
    if address.startswith("[") and address.endswith("]"):
        address = address[1:-1]
    return Target(
        name=name,
        address=address,
        port=port,
        user=str(norm.get("user") or ""),
        host_class=str(norm.get("host_class") or ""),
        identity=str(norm.get("key") or ""),
        jump=str(norm.get("jump") or ""),
        vars=dict(hvars),
    )


def from_entries(entries: Iterable[str], source: str = "-H") -> Inventory:
    inv = Inventory()
    for raw in entries:
        if not raw.strip():
            continue
        name, hvars = entry_vars(raw)
        if not inv.add(name, hvars):
            raise InventoryError(f"{source}: host {name!r} is listed twice")
    if not inv.hosts:
        raise InventoryError("no hosts given")
    return inv


def from_host_list(text: str, source: str = "inventory") -> Inventory:
    lines = [ln.split("#", 1)[0].strip() for ln in text.splitlines()]
    return from_entries((ln for ln in lines if ln), source)


def with_defaults(targets: list[Target], user: str, identity: str, jump: str) -> list[Target]:
    """Command-line defaults fill what the inventory left empty."""
    return [
        replace(
            t,
            user=t.user or user,
            identity=t.identity or identity,
            jump=t.jump or jump,
        )
        for t in targets
    ]
