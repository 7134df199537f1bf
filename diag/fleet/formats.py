"""The inventory file formats: diagctl YAML, Ansible YAML, Ansible INI. Pure parsing."""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from diag.errors import FileError, InventoryError
from diag.files import load_yaml, read_text, yaml_problem
from diag.fleet.inventory import Inventory, check_vars, from_host_list

_RANGE = re.compile(r"\[([0-9]+|[a-z]):([0-9]+|[a-z])(?::([0-9]+))?\]")
MAX_EXPANDED = 100_000


def _range_items(name: str, m: re.Match[str]) -> range:
    lo, hi, step = m[1], m[2], int(m[3] or 1)
    if lo.isdigit() != hi.isdigit() or step < 1:
        raise InventoryError(f"bad host range in {name!r}")
    if lo.isdigit():
        return range(int(lo), int(hi) + 1, step)
    return range(ord(lo), ord(hi) + 1, step)


def range_count(name: str) -> int:
    """How many names `name` expands to, computed without building them."""
    count = 1
    for m in _RANGE.finditer(name):
        count *= len(_range_items(name, m))
        if count == 0 or count > MAX_EXPANDED:
            break
    return count


def expand_range(name: str, where: str = "") -> list[str]:
    """Ansible host ranges: `gpu[01:16].dc1` -> gpu01.dc1 ... gpu16.dc1 (also `[a:f]`).

    The count is checked before any name is built: `gpu[01:99999999]` is refused, not
    materialised.
    """
    m = _RANGE.search(name)
    if not m:
        return [name]
    count = range_count(name)
    if not 0 < count <= MAX_EXPANDED:
        prefix = f"{where}: " if where else ""
        raise InventoryError(
            f"{prefix}bad host range in {name!r}: empty or over {MAX_EXPANDED} hosts"
        )
    lo, items = m[1], _range_items(name, m)
    if lo.isdigit():
        width = len(lo) if lo.startswith("0") else 0
        parts = [str(i).zfill(width) for i in items]
    else:
        parts = [chr(c) for c in items]
    out: list[str] = []
    for item in parts:
        out += expand_range(name[: m.start()] + item + name[m.end() :], where)
    return out


def _mapping(value: Any, where: str) -> dict[str, Any]:
    """A mapping with text keys (host and group names); anything else is an error."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InventoryError(f"{where}: expected a mapping, got {type(value).__name__}")
    for k in value:
        if not isinstance(k, str):
            raise InventoryError(f"{where}: name {k!r} is not a string")
    return dict(value)


def _add_all(inv: Inventory, name: str, hvars: dict[str, Any], group: str, where: str) -> None:
    """Add every host `name` expands to; one listed twice in the same place is an error."""
    for n in expand_range(name, where):
        if not inv.add(n, hvars, group):
            also = f" (in {name!r})" if n != name else ""
            raise InventoryError(f"{where}: host {n!r}{also} is listed twice")


def parse_yaml_doc(doc: Any, source: str) -> Inventory:
    """diagctl YAML (`hosts:`/`groups:` at the top) or Ansible YAML (`all:` / group keys)."""
    top = _mapping(doc, source)
    if "hosts" in top or "groups" in top:
        return _diagctl_yaml(top, source)
    inv = Inventory()
    for gname, body in top.items():
        _ansible_group(inv, gname, _mapping(body, f"{source}: group {gname}"), {}, source, 0)
    if not inv.hosts:
        raise InventoryError(f"{source}: no hosts in it")
    return inv


def _host_names(value: Any, where: str) -> list[str]:
    """`hosts:` as a list of names or a mapping (its keys); each name must be text."""
    if value is None:
        return []
    names = list(value) if isinstance(value, Mapping) else value
    if not isinstance(names, list):
        raise InventoryError(f"{where}: hosts must be a list or mapping")
    seen: set[str] = set()
    for n in names:
        if not isinstance(n, str):
            raise InventoryError(f"{where}: host name {n!r} is not a string")
        if n in seen:
            raise InventoryError(f"{where}: host {n!r} is listed twice")
        seen.add(n)
    return names


def _diagctl_yaml(top: dict[str, Any], source: str) -> Inventory:
    inv = Inventory()
    unknown = set(top) - {"hosts", "groups", "vars"}
    if unknown:
        raise InventoryError(f"{source}: unknown top-level key(s) {sorted(unknown)}")
    base = check_vars(top.get("vars"), f"{source}: vars")
    hosts = top.get("hosts")
    if isinstance(hosts, list):
        hosts = dict.fromkeys(_host_names(hosts, f"{source}: hosts"))
    for name, hvars in _mapping(hosts, f"{source}: hosts").items():
        _add_all(inv, name, check_vars(hvars, f"{source}: host {name}"), "", f"{source}: hosts")
    for gname, body in _mapping(top.get("groups"), f"{source}: groups").items():
        where = f"{source}: group {gname}"
        group = _mapping(body, where)
        extra = sorted(set(group) - {"hosts", "vars"})
        if extra:
            raise InventoryError(f"{where}: unknown key(s) {extra}")
        gvars = check_vars(group.get("vars"), f"{where} vars")
        for name in _host_names(group.get("hosts"), where):
            _add_all(inv, name, gvars, gname, where)
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
    own = check_vars(body.get("vars"), f"{source}: group {gname} vars", ansible=True)
    gvars = {**inherited, **own}
    for name, raw in _mapping(body.get("hosts"), f"{source}: group {gname} hosts").items():
        hvars = check_vars(raw, f"{source}: host {name}", ansible=True)
        for n in expand_range(name, f"{source}: group {gname}"):
            if not inv.add(n, {**gvars, **hvars}, gname):
                raise InventoryError(f"{source}: group {gname}: host {n!r} is listed twice")
            inv.hosts[n].update(hvars)
    for child, cbody in _mapping(body.get("children"), f"{source}: {gname}.children").items():
        _ansible_group(inv, child, _mapping(cbody, f"{source}: {child}"), gvars, source, depth + 1)
        for h in inv.groups.get(child, []):
            inv.join(gname, h)


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
            kv = check_vars(_kv(tokens, where), f"{where}: [{section}:vars]", ansible=True)
            gvars.setdefault(section, {}).update(kv)
        elif kind == "children":
            children.setdefault(section, []).append(tokens[0])
        else:
            hvars = check_vars(_kv(tokens[1:], where), f"{where}: host {tokens[0]}", ansible=True)
            _add_all(inv, tokens[0], hvars, section, f"{where}: [{section}]")
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
            inv.groups.setdefault(parent, [])
            for kid in kids:
                for h in inv.groups.get(kid, []):
                    changed = inv.join(parent, h) or changed
        if not changed:
            return
    raise InventoryError(f"{source}: [group:children] form a cycle")


_INI_SECTION = re.compile(r"^\[[\w.-]+(:(vars|children|hosts|[a-z]+))?\]$")
_INI_VARS = re.compile(r"\s\w+=")


def load_file(path: Path) -> Inventory:
    """Read and parse `-i FILE`; unreadable, binary or non-UTF-8 is an `InventoryError`."""
    try:
        text = read_text(path, "inventory")
    except FileError as exc:
        raise InventoryError(str(exc)) from None
    return parse_text(text, str(path))


def parse_text(text: str, source: str = "inventory") -> Inventory:
    """Guess the format from the content: YAML mapping, Ansible INI, or a plain host list."""
    if "\0" in text:
        raise InventoryError(f"{source}: binary file (NUL byte at offset {text.index(chr(0))})")
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
            raise InventoryError(f"{source}: not valid YAML: {yaml_problem(exc)}") from None
        return parse_yaml_doc(doc, source)
    return from_host_list(text, source)
