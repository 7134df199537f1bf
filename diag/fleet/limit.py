"""`--limit` patterns, as Ansible reads them. Pure: inventory in, host names out.

`a:b` or `a,b` union; `&g` intersection; `!g` exclusion; `*` / `all`; shell globs (`gpu-0*`);
`~regex`; a group name selects its hosts; `@file` reads one pattern per line.
Order: the inventory's order, whatever the pattern order.
"""

from __future__ import annotations

import fnmatch
import re

from diag.errors import InventoryError
from diag.fleet.inventory import Inventory


def _split(pattern: str) -> list[str]:
    # `:` separates terms, except inside an IPv6 address or a `[...]`; `,` always does.
    if "," in pattern or (pattern.count(":") > 1 and "::" in pattern):
        parts = pattern.split(",")
    else:
        parts = re.split(r":(?![^\[]*\])", pattern)
    return [p.strip() for p in parts if p.strip()]


def _match(term: str, inv: Inventory) -> list[str]:
    if term in ("all", "*"):
        return list(inv.hosts)
    if term in inv.groups:
        return list(inv.groups[term])
    if term in inv.hosts:
        return [term]
    if term.startswith("~"):
        try:
            rx = re.compile(term[1:])
        except re.error as exc:
            raise InventoryError(f"--limit {term!r}: bad regex: {exc}") from None
        return [h for h in inv.hosts if rx.search(h)]
    hits = [h for h in inv.hosts if fnmatch.fnmatchcase(h, term)]
    for g, members in inv.groups.items():
        if g not in ("all", "ungrouped") and fnmatch.fnmatchcase(g, term):
            hits += members
    return hits


def select(inv: Inventory, pattern: str) -> list[str]:
    """Host names the pattern selects; an error when it selects none."""
    if pattern.startswith("@"):
        try:
            with open(pattern[1:], encoding="utf-8") as fh:
                pattern = ",".join(ln.strip() for ln in fh if ln.strip())
        except OSError as exc:
            raise InventoryError(f"--limit {pattern}: {exc.strerror or exc}") from None
    chosen: set[str] = set()
    anded: list[set[str]] = []
    removed: set[str] = set()
    for term in _split(pattern):
        if term.startswith("!"):
            removed |= set(_match(term[1:], inv))
        elif term.startswith("&"):
            anded.append(set(_match(term[1:], inv)))
        else:
            chosen |= set(_match(term, inv))
    if not chosen and anded:
        chosen = set(inv.hosts)
    for s in anded:
        chosen &= s
    chosen -= removed
    names = [h for h in inv.hosts if h in chosen]
    if not names:
        raise InventoryError(f"--limit {pattern!r} matches no host in the inventory")
    return names
