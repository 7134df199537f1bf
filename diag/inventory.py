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

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import yaml

from diag.policy import PolicyError
from diag.transport.base import Target
from diag.yamlfile import load_yaml

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


class InventoryError(PolicyError):
    """A bad inventory or host entry: one line, exit 2."""


@dataclass
class Inventory:
    """Hosts in file order, the groups each belongs to, and merged vars per host."""

    hosts: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, hvars: Mapping[str, Any] | None, group: str = "") -> None:
        cur = self.hosts.setdefault(name, {})
        for k, v in (hvars or {}).items():
            cur.setdefault(k, v)  # host vars set first win over later group vars
        members = self.groups.setdefault(group or "ungrouped", [])
        if name not in members:
            members.append(name)
        self.groups.setdefault("all", [])
        if name not in self.groups["all"]:
            self.groups["all"].append(name)

    def targets(self, names: Iterable[str] | None = None) -> list[Target]:
        return [to_target(n, self.hosts[n]) for n in (names or self.hosts)]


_ENTRY = re.compile(
    r"^(?:(?P<user>[^@\s]+)@)?(?P<host>\[[^\]]+\]|[^:@\s\[\]]+)(?::(?P<port>\d+))?$"
)


# `[group]`, `[group:vars]`: an IPv6 entry `[::1]:22` never looks like this.
_INI_SECTION = re.compile(r"^\[[\w.-]+(:(vars|children|hosts|[a-z]+))?\]$")
_INI_VARS = re.compile(r"\s\w+=")


def parse_entry(entry: str) -> tuple[str, str, int | None]:
    """`[user@]host[:port]` -> (user, host, port); IPv6 needs brackets when a port follows."""
    entry = entry.strip()
    if entry.count(":") > 1 and not entry.startswith("[") and "@[" not in entry:
        user, _, rest = entry.rpartition("@")
        return user, rest, None  # bare IPv6 address, no port
    m = _ENTRY.match(entry)
    if not m:
        raise InventoryError(f"bad host entry {entry!r}: expected [user@]host[:port]")
    host = m["host"].strip("[]")
    port = int(m["port"]) if m["port"] else None
    if port is not None and not 0 < port < 65536:
        raise InventoryError(f"bad host entry {entry!r}: port out of range")
    return m["user"] or "", host, port


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


def from_entries(entries: Iterable[str]) -> Inventory:
    inv = Inventory()
    for raw in entries:
        if not raw.strip():
            continue
        name, hvars = entry_vars(raw)
        inv.add(name, hvars)
    if not inv.hosts:
        raise InventoryError("no hosts given")
    return inv


def from_host_list(text: str) -> Inventory:
    lines = [ln.split("#", 1)[0].strip() for ln in text.splitlines()]
    return from_entries(ln for ln in lines if ln)


def parse_text(text: str, source: str = "inventory") -> Inventory:
    """Guess the format from the content: YAML mapping, Ansible INI, or a plain host list."""
    from diag.inventory_formats import parse_ansible_ini, parse_yaml_doc

    stripped = [ln.strip() for ln in text.splitlines()]
    stripped = [ln for ln in stripped if ln and ln[0] not in "#;"]
    if not stripped:
        raise InventoryError(f"{source}: no hosts in it")
    if any(_INI_SECTION.match(ln) or _INI_VARS.search(ln) for ln in stripped):
        return parse_ansible_ini(text, source)
    if any(re.match(r"^[\w.-]+:(\s|$)", ln) for ln in stripped) or stripped[0] == "---":
        try:
            doc = load_yaml(text)
        except yaml.YAMLError as exc:
            line = getattr(getattr(exc, "problem_mark", None), "line", -1) + 1
            raise InventoryError(f"{source}: not valid YAML (line {line})") from None
        return parse_yaml_doc(doc, source)
    return from_host_list(text)


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
