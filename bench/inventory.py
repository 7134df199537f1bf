"""Inventory parse time vs host count, next to its anchors from the same run.

    python bench/inventory.py [--hosts 10000,20000,40000]

For each size: a diagctl YAML inventory (every host with an address, a group per 64 hosts)
and an Ansible INI one (host lines with vars, a section per 64 hosts, [all:vars]). Anchors:
`yaml` = libyaml loading the same YAML text (no validation), `shlex` = tokenising the INI
lines (what the INI parser must do anyway). A linear parser keeps its ratio to the anchor
constant as the host count doubles.
"""

from __future__ import annotations

import argparse
import shlex
import time
from collections.abc import Callable
from functools import partial

from diag.files import load_yaml
from diag.fleet.formats import parse_text


def yaml_inventory(n: int) -> str:
    lines = ["vars: {user: ops}", "hosts:"]
    for i in range(n):
        lines.append(f"  gpu-{i:06d}: {{address: 10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}}}")
    lines.append("groups:")
    for g in range(0, n, 64):
        members = ", ".join(f"gpu-{i:06d}" for i in range(g, min(g + 64, n)))
        lines += [f"  rack{g // 64}:", f"    hosts: [{members}]", "    vars: {host_class: h100}"]
    return "\n".join(lines) + "\n"


def ini_inventory(n: int) -> str:
    lines = ["[all:vars]", "ansible_user=ops"]
    for i in range(n):
        if i % 64 == 0:
            lines.append(f"[rack{i // 64}]")
        lines.append(f"gpu-{i:06d} ansible_host=10.0.{i >> 8 & 255}.{i & 255} ansible_port=22")
    return "\n".join(lines) + "\n"


def tokenise(text: str) -> list[list[str]]:
    return [shlex.split(ln) for ln in text.splitlines()]


def best_of(fn: Callable[[], object], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hosts", default="10000,20000,40000")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    for n in (int(x) for x in args.hosts.split(",")):
        y, ini = yaml_inventory(n), ini_inventory(n)
        y_parse = best_of(partial(lambda t: parse_text(t, "bench.yaml").targets(), y), args.runs)
        y_anchor = best_of(partial(load_yaml, y), args.runs)
        i_parse = best_of(partial(lambda t: parse_text(t, "bench.ini").targets(), ini), args.runs)
        i_anchor = best_of(partial(tokenise, ini), args.runs)
        print(
            f"hosts={n:6d}  yaml: parse {y_parse * 1e3:7.0f} ms  yaml-load {y_anchor * 1e3:6.0f} ms"
            f"  ({y_parse / y_anchor:4.1f}x)   ini: parse {i_parse * 1e3:7.0f} ms"
            f"  shlex {i_anchor * 1e3:6.0f} ms  ({i_parse / i_anchor:4.1f}x)"
        )


if __name__ == "__main__":
    main()
