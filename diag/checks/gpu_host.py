"""Host checks for GPU nodes: failed systemd units, fabric manager where NVSwitches exist,
NIC and InfiniBand port state and error counters (sysfs)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from diag.checks import gpu_sources, host_sources
from diag.checks.base import SEVERITY_OF, Check, Context, Rules, capture_problem, clean
from diag.checks.gpu_state import gpu_view
from schemas.envelope import Action, Finding, Status
from schemas.payload import Capture

ID_UNITS = "host.systemd_failed"
ID_FM = "host.fabric_manager"
ID_NET = "host.network"


def _f(
    cid: str,
    status: Status,
    action: Action,
    entity: str,
    msg: str,
    obs: Any,
    rules: Rules,
    evidence: list[str] | None = None,
) -> Finding:
    return Finding(
        check_id=cid,
        status=status,
        severity=SEVERITY_OF[status],
        entity=entity,
        observed=obs,
        threshold=dict(rules.thresholds),
        threshold_source=rules.source,
        message=msg,
        action=action,
        evidence=evidence or [],
    )


def parse_failed_units(stdout: str) -> list[str]:
    """`systemctl list-units --state=failed --plain --no-legend`: the unit is the first word."""
    return [ln.split()[0].lstrip("●* ") for ln in stdout.splitlines() if ln.strip()]


def evaluate_units(caps: Mapping[str, Capture], rules: Rules, ctx: Context) -> list[Finding]:
    problem = capture_problem(ID_UNITS, caps, "systemd_failed", rules, "systemd")
    if problem:
        return [problem]
    units = [
        u
        for u in parse_failed_units(caps["systemd_failed"].stdout)
        if u not in rules["ignore_units"]
    ]
    critical = [u for u in units if u in rules["fail_units"]]
    status = Status.FAIL if critical else Status.WARN if units else Status.PASS
    action = Action.REBOOT if critical else Action.MONITOR if units else Action.NONE
    msg = f"{len(units)} failed unit(s): {', '.join(units)}" if units else "no failed units"
    return [_f(ID_UNITS, status, action, "systemd", msg, {"failed": units}, rules)]


def parse_systemctl_show(stdout: str) -> dict[str, str]:
    return dict(ln.split("=", 1) for ln in stdout.splitlines() if "=" in ln)


def evaluate_fm(caps: Mapping[str, Capture], rules: Rules, ctx: Context) -> list[Finding]:
    view = gpu_view(caps, ctx.memo)
    if view.pci is None:
        return [
            _f(
                ID_FM,
                Status.UNKNOWN,
                Action.MONITOR,
                "nvidia-fabricmanager",
                "cannot judge: PCI bus unreadable, NVSwitch presence unknown",
                None,
                rules,
            )
        ]
    switches = len(view.nvswitches)
    if not switches:
        return [
            _f(
                ID_FM,
                Status.PASS,
                Action.NONE,
                "nvidia-fabricmanager",
                "no NVSwitch on the PCI bus: fabric manager not needed",
                {"nvswitches": 0},
                rules,
            )
        ]
    problem = capture_problem(ID_FM, caps, "fabricmanager", rules, "nvidia-fabricmanager")
    if problem:
        return [problem]
    props = parse_systemctl_show(caps["fabricmanager"].stdout)
    active = props.get("ActiveState") == "active"
    obs = {"nvswitches": switches, **props}
    msg = (
        f"{switches} NVSwitch(es); nvidia-fabricmanager {props.get('ActiveState', '?')}/"
        f"{props.get('SubState', '?')} (load {props.get('LoadState', '?')})"
    )
    if active:
        return [_f(ID_FM, Status.PASS, Action.NONE, "nvidia-fabricmanager", msg, obs, rules)]
    return [
        _f(
            ID_FM,
            Status.FAIL,
            Action.RESET,
            "nvidia-fabricmanager",
            msg + ": NVLink fabric unusable until it runs",
            obs,
            rules,
        )
    ]


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
            notes.append((Status.FAIL, f"{name} is {a.get('operstate', '?')}"))
        errs = sum(
            _int(a.get(f"statistics/{k}")) for k in ("rx_errors", "tx_errors", "rx_crc_errors")
        )
        if physical and errs >= rules["warn_nic_errors"]:
            notes.append((Status.WARN, f"{name}: {errs} rx/tx/crc errors since boot"))
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
            if _int(a.get(f"counters/{ctr}")) >= limit:
                notes.append((Status.WARN, f"IB {label} {ctr}={_int(a.get(f'counters/{ctr}'))}"))
    return notes


def evaluate_net(caps: Mapping[str, Capture], rules: Rules, ctx: Context) -> list[Finding]:
    problem = capture_problem(ID_NET, caps, "netdev", rules, "network")
    if problem:
        return [problem]
    nics = group_sysfs(caps["netdev"].stdout, 1)
    ib_cap = caps.get("infiniband")
    ports = group_sysfs(ib_cap.stdout, 3) if ib_cap is not None and ib_cap.error is None else {}
    notes = nic_notes(nics, rules) + ib_notes(ports, rules)
    status = max(
        (n[0] for n in notes),
        key=[Status.PASS, Status.WARN, Status.FAIL].index,
        default=Status.PASS,
    )
    phys = sorted(n for n, a in nics.items() if "device/vendor" in a)
    obs = {
        "nics": {n: nics[n].get("operstate") for n in phys},
        "ib_ports": {p: ports[p].get("state") for p in sorted(ports)},
    }
    msg = "; ".join(n[1] for n in notes) or f"{len(phys)} NIC(s), {len(ports)} IB port(s) fine"
    action = Action.NONE if status is Status.PASS else Action.MONITOR
    return [_f(ID_NET, status, action, "network", clean(msg, 400), obs, rules)]


CHECKS = (
    Check(
        ID_UNITS,
        "Failed systemd units",
        "systemctl list-units --state=failed",
        (host_sources.SYSTEMD_FAILED,),
        evaluate_units,
    ),
    Check(
        ID_FM,
        "NVIDIA fabric manager (NVSwitch hosts)",
        "PCI NVSwitch functions (sysfs); systemctl show nvidia-fabricmanager",
        (gpu_sources.PCI, host_sources.FABRIC_MANAGER),
        evaluate_fm,
    ),
    Check(
        ID_NET,
        "NIC and InfiniBand ports",
        "/sys/class/net/*, /sys/class/infiniband/*/ports/*",
        (host_sources.NET, host_sources.IB),
        evaluate_net,
    ),
)
