"""The inventory file formats: diagctl YAML, Ansible YAML, Ansible INI. Pure parsing."""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from typing import Any

from diag.inventory import Inventory, InventoryError

_RANGE = re.compile(r"\[([0-9]+|[a-z]):([0-9]+|[a-z])(?::([0-9]+))?\]")
MAX_EXPANDED = 100_000


def expand_range(name: str) -> list[str]:
    """Ansible host ranges: `gpu[01:16].dc1` -> gpu01.dc1 ... gpu16.dc1 (also `[a:f]`)."""
    m = _RANGE.search(name)
    if not m:
        return [name]
    lo, hi, step = m[1], m[2], int(m[3] or 1)
    if lo.isdigit() != hi.isdigit() or step < 1:
        raise InventoryError(f"bad host range in {name!r}")
    if lo.isdigit():
        width = len(lo) if lo.startswith("0") else 0
        items = [str(i).zfill(width) for i in range(int(lo), int(hi) + 1, step)]
    else:
        items = [chr(c) for c in range(ord(lo), ord(hi) + 1, step)]
    if not items or len(items) > MAX_EXPANDED:
        raise InventoryError(f"bad host range in {name!r}: empty or over {MAX_EXPANDED} hosts")
    out: list[str] = []
    for item in items:
        out += expand_range(name[: m.start()] + item + name[m.end() :])
    return out


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InventoryError(f"{where}: expected a mapping, got {type(value).__name__}")
    return {str(k): v for k, v in value.items()}


def parse_yaml_doc(doc: Any, source: str) -> Inventory:
    """diagctl YAML (`hosts:`/`groups:` at the top) or Ansible YAML (`all:` / group keys)."""
    top = _mapping(doc, source)
    if "hosts" in top or "groups" in top:
        unknown = set(top) - {"hosts", "groups", "vars"}
        if unknown:
            raise InventoryError(f"{source}: unknown top-level key(s) {sorted(unknown)}")
        return _diagctl_yaml(top, source)
    inv = Inventory()
    for gname, body in top.items():
        _ansible_group(inv, gname, _mapping(body, f"{source}: group {gname}"), {}, source, 0)
    if not inv.hosts:
        raise InventoryError(f"{source}: no hosts in it")
    return inv


def _diagctl_yaml(top: dict[str, Any], source: str) -> Inventory:
    inv = Inventory()
    base = _mapping(top.get("vars"), f"{source}: vars")
    hosts = top.get("hosts") or {}
    if isinstance(hosts, list):
        hosts = {str(h): None for h in hosts}
    for name, hvars in _mapping(hosts, f"{source}: hosts").items():
        for n in expand_range(name):
            inv.add(n, _mapping(hvars, f"{source}: host {name}"))
    for gname, body in _mapping(top.get("groups"), f"{source}: groups").items():
        group = _mapping(body, f"{source}: group {gname}")
        gvars = _mapping(group.get("vars"), f"{source}: group {gname} vars")
        members = group.get("hosts") or []
        if isinstance(members, Mapping):
            members = list(members)
        if not isinstance(members, list):
            raise InventoryError(f"{source}: group {gname}: hosts must be a list or mapping")
        for name in members:
            for n in expand_range(str(name)):
                inv.add(n, gvars, gname)
    for hvars in inv.hosts.values():
        for k, v in base.items():
            hvars.setdefault(k, v)
    if not inv.hosts:
        raise InventoryError(f"{source}: no hosts in it")
    return inv


def _ansible_group(
    inv: Inventory,
    gname: str,
    body: dict[str, Any],
    inherited: dict[str, Any],
    source: str,
    depth: int,
) -> None:
    if depth > 32:
        raise InventoryError(f"{source}: groups nested deeper than 32 (a cycle?)")
    gvars = {**inherited, **_mapping(body.get("vars"), f"{source}: {gname}.vars")}
    for name, hvars in _mapping(body.get("hosts"), f"{source}: {gname}.hosts").items():
        for n in expand_range(name):
            merged = {**gvars, **_mapping(hvars, f"{source}: host {name}")}
            inv.add(n, merged, gname)
            inv.hosts[n].update(_mapping(hvars, f"{source}: host {name}"))
    for child, cbody in _mapping(body.get("children"), f"{source}: {gname}.children").items():
        _ansible_group(inv, child, _mapping(cbody, f"{source}: {child}"), gvars, source, depth + 1)
        for h in inv.groups.get(child, []):
            members = inv.groups.setdefault(gname, [])
            if h not in members:
                members.append(h)


def _kv(tokens: list[str], where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for tok in tokens:
        if "=" not in tok:
            raise InventoryError(f"{where}: expected key=value, got {tok!r}")
        k, v = tok.split("=", 1)
        out[k.strip()] = v
    return out


def parse_ansible_ini(text: str, source: str) -> Inventory:
    """Ansible INI: `[group]` host lines with k=v vars, `[g:vars]`, `[g:children]`."""
    inv = Inventory()
    section, kind = "ungrouped", "hosts"
    gvars: dict[str, dict[str, Any]] = {}
    children: dict[str, list[str]] = {}
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        where = f"{source}:{no}"
        if line.startswith("[") and line.endswith("]"):
            section, _, kind = line[1:-1].partition(":")
            kind = kind or "hosts"
            if kind not in ("hosts", "vars", "children"):
                raise InventoryError(f"{where}: unknown section kind {kind!r}")
            continue
        try:
            tokens = shlex.split(line, comments=True)
        except ValueError as exc:
            raise InventoryError(f"{where}: {exc}") from None
        if kind == "vars":
            gvars.setdefault(section, {}).update(_kv(tokens, where))
        elif kind == "children":
            children.setdefault(section, []).append(tokens[0])
        else:
            for n in expand_range(tokens[0]):
                inv.add(n, _kv(tokens[1:], where), section)
    _resolve_children(inv, children, source)
    for group, gv in gvars.items():
        for h in inv.groups.get(group, []):
            for k, v in gv.items():
                inv.hosts[h].setdefault(k, v)
    if not inv.hosts:
        raise InventoryError(f"{source}: no hosts in it")
    return inv


def _resolve_children(inv: Inventory, children: dict[str, list[str]], source: str) -> None:
    """Parents gain their children's hosts (fixed point, bounded by the number of groups)."""
    for _ in range(len(children) + 1):
        changed = False
        for parent, kids in children.items():
            members = inv.groups.setdefault(parent, [])
            for kid in kids:
                for h in inv.groups.get(kid, []):
                    if h not in members:
                        members.append(h)
                        changed = True
        if not changed:
            return
    raise InventoryError(f"{source}: [group:children] form a cycle")
