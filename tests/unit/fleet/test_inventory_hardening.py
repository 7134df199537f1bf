"""Hostile and mistyped inventories: exit 2 with one line naming the file, the entry and the field."""

# ruff: noqa: E501 - boundary tables keep one case per line, whole messages included

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from diag.cli import cli
from diag.fleet.formats import MAX_EXPANDED, expand_range, parse_text, range_count
from diag.fleet.inventory import Inventory

KNOWN = "known: address, user, port, key, jump, host_class, node, slurm_node and Ansible names"


def _health(tmp_path: Path, text: str | bytes, name: str = "inv.yaml") -> tuple[int, str]:
    inv = tmp_path / name
    if isinstance(text, bytes):
        inv.write_bytes(text)
    else:
        inv.write_text(text)
    res = CliRunner().invoke(cli, ["health", "-i", str(inv), "--out", str(tmp_path / "o")])
    assert not (tmp_path / "o").exists(), "nothing may run before the inventory is valid"
    return res.exit_code, res.output.replace(str(inv), "INV")


@pytest.mark.parametrize(
    "text, message",
    [
        # diagctl YAML: every var is ours, so an unknown one is a typo
        ("hosts:\n  gpu-1: {adress: 10.0.0.1}\n", f"INV: host gpu-1: adress: unknown var ({KNOWN})"),
        ("vars: {usr: root}\nhosts: {gpu-1: }\n", f"INV: vars: usr: unknown var ({KNOWN})"),
        ("hosts: {a: }\ngroups:\n  g: {hosts: [a], vars: {hostclass: x}}\n",
         f"INV: group g vars: hostclass: unknown var ({KNOWN})"),
        ("hosts: {a: }\ngroups:\n  g: {hosts: [a], var: {}}\n", "INV: group g: unknown key(s) ['var']"),
        # a list where a string belongs
        ("hosts:\n  gpu-1: {user: [root]}\n", "INV: host gpu-1: user: Input should be a valid string, got ['root']"),
        ("hosts:\n  gpu-1: {address: 10}\n", "INV: host gpu-1: address: Input should be a valid string, got 10"),
        ("hosts:\n  gpu-1: {port: '22'}\n", "INV: host gpu-1: port: Input should be a valid integer, got '22'"),
        ("hosts:\n  gpu-1: {port: 65536}\n",
         "INV: host gpu-1: port: Input should be less than or equal to 65535, got 65536"),
        ("hosts:\n  gpu-1: {port: true}\n", "INV: host gpu-1: port: Input should be a valid integer, got True"),
        ("hosts: [a, [b]]\n", "INV: hosts: host name ['b'] is not a string"),
        ("hosts: {a: }\ngroups:\n  g: {hosts: [a, [root]]}\n", "INV: group g: host name ['root'] is not a string"),
        ("hosts:\n  1: {}\n", "INV: hosts: name 1 is not a string"),
        # duplicates
        ("hosts:\n  a: {port: 22}\n  a: {port: 23}\n", "INV: not valid YAML: found duplicate key 'a' (line 3, column 3)"),
        ("hosts: [a, b, a]\n", "INV: hosts: host 'a' is listed twice"),
        ("hosts:\n  gpu[01:03]:\n  gpu02:\n", "INV: hosts: host 'gpu02' is listed twice"),
        ("hosts: {a: }\ngroups:\n  g: {hosts: [a, a]}\n", "INV: group g: host 'a' is listed twice"),
        # binary
        (b"hosts:\n  a: \x00\n", "inventory INV: binary file (NUL byte at offset 12)"),
        (b"hosts:\n  caf\xe9: \n", "inventory INV: not UTF-8 text (byte offset 12)"),
    ],
)  # fmt: skip
def test_diagctl_yaml_typos(tmp_path: Path, text: str | bytes, message: str) -> None:
    assert _health(tmp_path, text) == (2, f"Error: {message}\n")


@pytest.mark.parametrize(
    "text, message",
    [
        ("[gpu]\na ansible_port=22x\n",
         "INV:2: host a: ansible_port: Input should be a valid integer, got '22x'"),
        ("[gpu]\na ansible_port=0\n",
         "INV:2: host a: ansible_port: Input should be greater than or equal to 1, got 0"),
        ("[gpu]\na\n[gpu:vars]\nansible_ssh_port=x\n",
         "INV:4: [gpu:vars]: ansible_ssh_port: Input should be a valid integer, got 'x'"),
        ("[gpu]\na\nb\na\n", "INV:4: [gpu]: host 'a' is listed twice"),
        ("[gpu]\ngpu[1:3]\ngpu2\n", "INV:3: [gpu]: host 'gpu2' is listed twice"),
        ("[gpu]\ngpu[01:99999999]\n",
         f"INV:2: [gpu]: bad host range in 'gpu[01:99999999]': empty or over {MAX_EXPANDED} hosts"),
    ],
)  # fmt: skip
def test_ansible_ini_typos(tmp_path: Path, text: str, message: str) -> None:
    assert _health(tmp_path, text, "hosts.ini") == (2, f"Error: {message}\n")


@pytest.mark.parametrize(
    "text, message",
    [
        ("all:\n  hosts:\n    a: {ansible_user: [root]}\n",
         "INV: host a: ansible_user: Input should be a valid string, got ['root']"),
        ("all:\n  vars: {ansible_port: x}\n  hosts: {a: }\n",
         "INV: group all vars: ansible_port: Input should be a valid integer, got 'x'"),
        ("all:\n  hosts:\n    gpu[1:2]:\n    gpu1:\n", "INV: group all: host 'gpu1' is listed twice"),
    ],
)  # fmt: skip
def test_ansible_yaml_typos(tmp_path: Path, text: str, message: str) -> None:
    assert _health(tmp_path, text, "hosts.yml") == (2, f"Error: {message}\n")


def test_ansible_formats_keep_vars_that_are_ansibles_business() -> None:
    ini = parse_text("[gpu]\na ansible_port=2200 ansible_become=yes foo=[1]\n", "h.ini")
    assert [(t.name, t.port, t.vars) for t in ini.targets()] == [
        ("a", 2200, {"ansible_port": 2200, "ansible_become": "yes", "foo": "[1]"})
    ]
    yml = parse_text("all:\n  hosts:\n    a: {ansible_port: '2201', become: [x]}\n", "h.yml")
    assert [(t.name, t.port) for t in yml.targets()] == [("a", 2201)]


def test_h_entries_listed_twice(tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["health", "-H", "a,b,a"])
    assert (res.exit_code, res.output) == (2, "Error: -H: host 'a' is listed twice\n")


@pytest.mark.parametrize(
    "pattern, count",
    [
        ("gpu", 1),
        ("gpu[1:3]", 3),
        ("gpu[01:99999999]", 99999999),
        ("r[a:c]n[1:2]", 6),
        ("s[0:10:5]", 3),
        ("g[5:1]", 0),
        ("g[1:1000]n[1:1000]n[1:1000]", 1000 * 1000),  # stops multiplying once over the cap
    ],
)
def test_range_count_without_materialising(pattern: str, count: int) -> None:
    assert range_count(pattern) == count


@pytest.mark.parametrize(
    "pattern, size",
    [("g[1:100000]", MAX_EXPANDED), ("g[0:99999]", MAX_EXPANDED), ("g[1:100001]", None),
     ("g[1:1000]n[1:100]", MAX_EXPANDED), ("g[1:1000]n[1:101]", None)],
)  # fmt: skip
def test_range_cap_boundary(pattern: str, size: int | None) -> None:
    if size is None:
        with pytest.raises(ValueError, match="over 100000 hosts"):
            expand_range(pattern)
    else:
        assert len(expand_range(pattern)) == size


class _Name(str):
    """A host name that counts how often it is compared for equality."""

    compared = 0

    def __eq__(self, other: object) -> bool:
        type(self).compared += 1
        return str.__eq__(self, other)

    __hash__ = str.__hash__


@pytest.mark.timeout(60)
def test_40k_host_ini_parses() -> None:
    """40k INI hosts took 51 s (a membership scan per host); a guard, not a benchmark."""
    lines = ["[all:vars]", "ansible_user=ops"]
    for i in range(40_000):
        if i % 64 == 0:
            lines.append(f"[rack{i // 64}]")
        lines.append(f"gpu-{i:06d} ansible_host=10.0.{i >> 8 & 255}.{i & 255}")
    inv = parse_text("\n".join(lines) + "\n", "big.ini")
    assert len(inv.hosts) == 40_000 and len(inv.groups["all"]) == 40_000
    assert inv.targets()[-1].address == "10.0.156.63"


@pytest.mark.parametrize("hosts", [1000, 4000])
def test_adding_hosts_does_constant_work_per_host(hosts: int) -> None:
    """A membership scan per add made 20k hosts 8.5 s: equality checks must not grow with n."""
    inv = Inventory()
    _Name.compared = 0
    for n in range(hosts):
        inv.add(_Name(f"h{n}"), None, "g")
    assert _Name.compared <= 2 * hosts  # was ~hosts**2 (every name against every earlier one)
    assert inv.groups["g"] == [f"h{n}" for n in range(hosts)] == inv.groups["all"]
