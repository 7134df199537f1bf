"""Inventory parsing (diagctl YAML, Ansible INI/YAML, host lists, -H entries) and --limit."""

from __future__ import annotations

import pytest

from diag.errors import InventoryError
from diag.fleet.formats import expand_range, parse_text
from diag.fleet.inventory import from_entries, with_defaults
from diag.fleet.limit import select
from diag.transport.base import parse_entry

DIAG_YAML = """\
vars: {user: ops}
hosts:
  gpu-01: {address: 10.0.0.1}
  gpu-02: {address: 10.0.0.2, port: 2222, user: root}
  login-1:
groups:
  h100:
    hosts: [gpu-01, gpu-02]
    vars: {host_class: h100, key: ~/.ssh/fleet, jump: bastion.example:22}
  login:
    hosts: [login-1]
"""

ANSIBLE_INI = """\
# comment
bastion ansible_host=192.0.2.10

[gpu]
gpu[01:03].dc1 ansible_user=root
gpu-x ansible_host=10.1.1.9 ansible_port=2200

[gpu:vars]
ansible_ssh_private_key_file=/keys/gpu
host_class=a100

[infer:children]
gpu
"""

ANSIBLE_YAML = """\
all:
  vars: {ansible_user: deploy}
  children:
    gpu:
      hosts:
        node1: {ansible_host: 10.2.0.1}
        node2: {ansible_host: 10.2.0.2, ansible_port: 2201}
      vars: {host_class: l40s}
    cpu:
      hosts:
        c1:
"""


@pytest.mark.parametrize(
    "entry, want",
    [
        ("host", ("", "host", None)),
        ("root@host", ("root", "host", None)),
        ("root@10.0.0.1:2222", ("root", "10.0.0.1", 2222)),
        ("[::1]:2222", ("", "::1", 2222)),
        ("u@[fe80::1]:22", ("u", "fe80::1", 22)),
        ("fe80::1", ("", "fe80::1", None)),
        ("gpu-01.dc1.example", ("", "gpu-01.dc1.example", None)),
    ],
)
def test_parse_entry(entry: str, want: tuple[str, str, int | None]) -> None:
    assert parse_entry(entry) == want


@pytest.mark.parametrize("bad", ["host:99999", "a@b@c", "host:port", "host name", "[::1"])
def test_parse_entry_rejects(bad: str) -> None:
    with pytest.raises(InventoryError):
        parse_entry(bad)


def test_h_entries_keep_the_name_as_given() -> None:
    targets = from_entries(["root@127.0.0.1:2201", "[::1]:2202", "gpu-7"]).targets()
    assert [(t.name, t.address, t.port, t.user) for t in targets] == [
        ("root@127.0.0.1:2201", "127.0.0.1", 2201, "root"),
        ("[::1]:2202", "::1", 2202, ""),
        ("gpu-7", "gpu-7", 22, ""),
    ]


def test_diagctl_yaml_vars_precedence() -> None:
    inv = parse_text(DIAG_YAML, "inv.yaml")
    t = {x.name: x for x in inv.targets()}
    assert t["gpu-01"].address == "10.0.0.1" and t["gpu-01"].user == "ops"
    assert t["gpu-01"].host_class == "h100" and t["gpu-01"].jump == "bastion.example:22"
    assert t["gpu-01"].identity == "~/.ssh/fleet"
    assert (t["gpu-02"].port, t["gpu-02"].user) == (2222, "root")  # host vars beat group vars
    assert t["login-1"].address == "login-1" and t["login-1"].host_class == ""
    assert inv.groups["h100"] == ["gpu-01", "gpu-02"]


def test_ansible_ini_ranges_vars_children() -> None:
    inv = parse_text(ANSIBLE_INI, "hosts.ini")
    assert list(inv.hosts) == ["bastion", "gpu01.dc1", "gpu02.dc1", "gpu03.dc1", "gpu-x"]
    t = {x.name: x for x in inv.targets()}
    assert t["bastion"].address == "192.0.2.10"
    assert t["gpu02.dc1"].user == "root" and t["gpu02.dc1"].identity == "/keys/gpu"
    assert t["gpu-x"].port == 2200 and t["gpu-x"].host_class == "a100"
    assert inv.groups["infer"] == ["gpu01.dc1", "gpu02.dc1", "gpu03.dc1", "gpu-x"]


def test_ansible_yaml() -> None:
    inv = parse_text(ANSIBLE_YAML, "hosts.yml")
    t = {x.name: x for x in inv.targets()}
    assert (t["node2"].address, t["node2"].port) == ("10.2.0.2", 2201)
    assert t["node1"].user == "deploy" and t["node1"].host_class == "l40s"
    assert t["c1"].user == "deploy"
    assert inv.groups["gpu"] == ["node1", "node2"]


def test_plain_host_list() -> None:
    inv = parse_text("# fleet\nroot@10.0.0.1:2201\n\ngpu-02  # spare\n[::1]:22\n", "hosts.txt")
    assert list(inv.hosts) == ["root@10.0.0.1:2201", "gpu-02", "[::1]:22"]


@pytest.mark.parametrize(
    "text, msg",
    [
        ("", "no hosts"),
        ("hosts: [a\n", "not valid YAML"),
        ("hosts: {a: {port: x}}\n", "port: Input should be a valid integer, got 'x'"),
        ("hosts: {a: 3}\n", "expected a mapping"),
        ("bogus: 1\nhosts: {a: }\n", "unknown top-level"),
        ("[g]\na\n[g:weird]\n", "unknown section"),
        ("[g]\na ansible_port\n", "key=value"),
        ("-H\n[g]\nhost name with spaces\n", "key=value"),
        ("hosts:\n  gpu[05:01]: \n", "bad host range"),
    ],
)
def test_bad_inventories_fail_with_one_line(text: str, msg: str) -> None:
    with pytest.raises(InventoryError, match=msg) as err:
        parse_text(text, "inv").targets()
    assert "\n" not in str(err.value)


def test_bad_port_found_at_parse_not_when_targets_are_built() -> None:
    with pytest.raises(InventoryError) as err:
        parse_text("hosts: {a: {port: x}}\n", "inv")
    assert str(err.value) == "inv: host a: port: Input should be a valid integer, got 'x'"


def test_expand_range() -> None:
    assert expand_range("g[08:10].x") == ["g08.x", "g09.x", "g10.x"]
    assert expand_range("r[a:c]n[1:2]") == ["ran1", "ran2", "rbn1", "rbn2", "rcn1", "rcn2"]
    assert expand_range("s[0:10:5]") == ["s0", "s5", "s10"]


def test_with_defaults_fills_only_empty_fields() -> None:
    targets = parse_text(DIAG_YAML, "inv").targets()
    filled = {t.name: t for t in with_defaults(targets, "cli-user", "/k", "jump:2")}
    assert filled["gpu-01"].user == "ops" and filled["gpu-01"].jump == "bastion.example:22"
    assert filled["login-1"].identity == "/k" and filled["login-1"].jump == "jump:2"


@pytest.mark.parametrize(
    "pattern, want",
    [
        ("all", ["bastion", "gpu01.dc1", "gpu02.dc1", "gpu03.dc1", "gpu-x"]),
        ("gpu", ["gpu01.dc1", "gpu02.dc1", "gpu03.dc1", "gpu-x"]),
        ("gpu:!gpu-x", ["gpu01.dc1", "gpu02.dc1", "gpu03.dc1"]),
        ("gpu0*", ["gpu01.dc1", "gpu02.dc1", "gpu03.dc1"]),
        ("~gpu0[13]", ["gpu01.dc1", "gpu03.dc1"]),
        ("bastion,gpu-x", ["bastion", "gpu-x"]),
        ("gpu-x:bastion", ["bastion", "gpu-x"]),  # inventory order, not pattern order
        ("all:&infer:!gpu02.dc1", ["gpu01.dc1", "gpu03.dc1", "gpu-x"]),
        ("&gpu", ["gpu01.dc1", "gpu02.dc1", "gpu03.dc1", "gpu-x"]),
        ("ungrouped", ["bastion"]),
    ],
)
def test_limit_patterns(pattern: str, want: list[str]) -> None:
    inv = parse_text(ANSIBLE_INI, "hosts.ini")
    assert select(inv, pattern) == want


def test_limit_from_file_and_errors(tmp_path) -> None:  # type: ignore[no-untyped-def]
    inv = parse_text(ANSIBLE_INI, "hosts.ini")
    f = tmp_path / "retry"
    f.write_text("gpu02.dc1\ngpu-x\n")
    assert select(inv, f"@{f}") == ["gpu02.dc1", "gpu-x"]
    with pytest.raises(InventoryError, match="matches no host"):
        select(inv, "nothing*")
    with pytest.raises(InventoryError, match="bad regex"):
        select(inv, "~(")
    with pytest.raises(InventoryError, match="No such file"):
        select(inv, f"@{tmp_path}/missing")
