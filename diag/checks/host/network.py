"""NIC and InfiniBand port state and error counters, from sysfs (/sys/class/net,
/sys/class/infiniband). Counters are totals since boot or since the driver loaded."""

from __future__ import annotations

import json
from collections.abc import Mapping

from diag.checks.base import Check, Context, Rules, capture_problem, clean, finding
from diag.checks.host.sources import IB, NET
from schemas.capture import Capture
from schemas.enums import Status, worst
from schemas.finding import Finding

ID = "host.network"


def group_sysfs(stdout: str, depth: int) -> dict[str, dict[str, str]]:
    """{'/sys/class/net/eth0/statistics/rx_errors': '0'} → {'eth0': {'statistics/rx_errors': '0'}}.
    `depth`: path components after the class directory that name the entity (net 1, ib 3)."""
    files = json.loads(stdout)
    if not isinstance(files, dict):
        raise ValueError("sysfs capture is not a JSON object")
    out: dict[str, dict[str, str]] = {}
    for path, value in files.items():
        parts = str(path).split("/")[4:]  # drop '', 'sys', 'class', '<class>'
        if len(parts) <= depth or value is None:
            continue
        out.setdefault("/".join(parts[:depth]), {})["/".join(parts[depth:])] = str(value)
    return out


def _int(v: str | None) -> int:
    try:
        return int(str(v).split(":")[0])
    except ValueError:
        return 0


def nic_notes(nics: dict[str, dict[str, str]], rules: Rules) -> list[tuple[Status, str]]:
    notes: list[tuple[Status, str]] = []
    for name, a in sorted(nics.items()):
        physical = "device/vendor" in a
        if name in rules["must_be_up"] and a.get("operstate") != "up":
            notes.append((Status.FAIL, f"{name} is {a.get('operstate', '?')}, must be up"))
        errs = sum(
            _int(a.get(f"statistics/{k}")) for k in ("rx_errors", "tx_errors", "rx_crc_errors")
        )
        if physical and errs >= rules["warn_nic_errors"]:
            limit = rules["warn_nic_errors"]
            notes.append(
                (Status.WARN, f"{name}: {errs} rx/tx/crc errors since boot >= warn {limit}")
            )
    return notes


def ib_notes(ports: dict[str, dict[str, str]], rules: Rules) -> list[tuple[Status, str]]:
    notes: list[tuple[Status, str]] = []
    for port, a in sorted(ports.items()):
        label = port.replace("/ports/", ":")
        if a.get("state") and "ACTIVE" not in a["state"]:
            notes.append(
                (Status.WARN, f"IB {label} state {a['state']} ({a.get('phys_state', '?')})")
            )
        for ctr, limit in dict(rules["warn_ib_counters"]).items():
            value = _int(a.get(f"counters/{ctr}"))
            if value >= limit:
                notes.append((Status.WARN, f"IB {label} {ctr}={value} >= warn {limit}"))
    return notes


def evaluate(caps: Mapping[str, Capture], rules: Rules, ctx: Context) -> list[Finding]:
    problem = capture_problem(ID, caps, "netdev", rules, "network")
    if problem:
        return [problem]
    nics = group_sysfs(caps["netdev"].stdout, 1)
    ib_cap = caps.get("infiniband")
    ports = group_sysfs(ib_cap.stdout, 3) if ib_cap is not None and ib_cap.error is None else {}
    notes = nic_notes(nics, rules) + ib_notes(ports, rules)
    status = worst(n[0] for n in notes)
    phys = sorted(n for n, a in nics.items() if "device/vendor" in a)
    obs = {
        "nics": {n: nics[n].get("operstate") for n in phys},
        "ib_ports": {p: ports[p].get("state") for p in sorted(ports)},
    }
    msg = "; ".join(n[1] for n in notes) or f"{len(phys)} NIC(s), {len(ports)} IB port(s) fine"
    return [finding(ID, status, rules, entity="network", message=clean(msg, 400), observed=obs)]


CHECK = Check(
    ID,
    "NIC and InfiniBand ports",
    "/sys/class/net/*, /sys/class/infiniband/*/ports/*",
    (NET, IB),
    evaluate,
)
