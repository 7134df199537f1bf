"""Xid (GPU) and SXid (NVSwitch) events from the kernel log, classified by the XID policy table.

Reads `journalctl -k` for this boot and the previous one (or `dmesg` when the journal is not
available), never /dev/kmsg. Lines look like
  2026-11-22T10:00:01+0000 host kernel: NVRM: Xid (PCI:0000:3b:00): 79, pid=..., GPU has fallen
  off the bus.   (one line in the log)
  [ 12.3] NVRM: Xid (PCI:0000:c7:00 GPU-I:05): 43, pid=1234, name=python, Ch 00000008
  nvidia-nvswitch3: SXid (PCI:0000:86:00.0): 20034, Fatal, Link 29 LTSSM Fault Up
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from diag.checks.base import clean, one_line
from diag.checks.gpu import sources as gpu_sources
from diag.checks.gpu.nvml import norm_bdf
from schemas.capture import Capture
from schemas.enums import Action, Status
from schemas.gpu import XidEvent

if TYPE_CHECKING:  # the table module imports pydantic: loaded only when an event is judged
    from diag.checks.gpu.xid_table import XidPolicy

ID = "gpu.xid"
_BDF = r"(?:PCI:)?(?P<bdf>[0-9a-fA-F]{4,8}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}(?:\.[0-7])?)"
XID_RE = re.compile(r"NVRM: Xid \(" + _BDF + r"[^)]*\): (?P<code>\d+)(?:,\s*(?P<msg>.*))?")
SXID_RE = re.compile(r"SXid \(" + _BDF + r"[^)]*\): (?P<code>\d+)(?:,\s*(?P<msg>.*))?")
ISO_RE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)")

# NVML gpu_recovery_action values (nvml.h nvmlDeviceGpuRecoveryAction_t) → our ladder.
RECOVERY = {
    0: ("none", Status.PASS, Action.NONE),
    1: ("GPU reset", Status.FAIL, Action.RESET),
    2: ("node reboot", Status.FAIL, Action.REBOOT),
    3: ("drain P2P", Status.FAIL, Action.RESET),
    4: ("drain and reset", Status.FAIL, Action.RESET),
    5: ("recover IMEX domain", Status.WARN, Action.MONITOR),
    6: ("bus reset", Status.FAIL, Action.RESET),
    7: ("system reboot", Status.FAIL, Action.REBOOT),
}


def parse_kernel_log(text: str, boot: str = "current") -> list[XidEvent]:
    """Every Xid/SXid line, de-duplicated: one event per (kind, code, GPU, minute, message)."""
    seen, out = set(), []
    # Both forms contain "Xid (" (sources.XID_MARK): a substring test skips the other lines
    # before any regex runs (a log filtered at the source has only these lines anyway).
    for line in (ln for ln in text.splitlines() if "Xid (" in ln):
        for kind, rx in (("xid", XID_RE), ("sxid", SXID_RE)):
            m = rx.search(line)
            if not m:
                continue
            ts = ISO_RE.match(line)
            at = ts.group(1) if ts else ""
            msg = clean((m.group("msg") or "").strip(), 200)
            ev = XidEvent(
                kind="sxid" if kind == "sxid" else "xid",
                code=int(m.group("code")),
                bdf=norm_bdf(m.group("bdf")),
                at=at,
                boot="previous" if boot == "previous" else "current",
                message=msg,
            )
            key = (kind, ev.code, ev.bdf, at[:16], msg)
            if key not in seen:
                seen.add(key)
                out.append(ev)
            break
    return out


def _unreadable(cap: Capture | None, name: str) -> str:
    """Why capture `cap` gives no kernel log lines; "" when it does."""
    if cap is None:
        return f"{name} not collected"
    if cap.error is not None:
        return f"{cap.source}: {cap.error}" + (
            f" ({one_line(cap.detail, 160)})" if cap.detail else ""
        )
    if cap.rc != 0:
        return f"{cap.source} exited {cap.rc}: {one_line(cap.stderr, 160) or 'no message'}"
    # A log filtered at the source says how many non-blank lines it had before filtering.
    empty = cap.filtered.lines == 0 if cap.filtered is not None else not cap.stdout.strip()
    if empty:
        return f"{name} returned nothing"
    return ""


# A non-root user reads no kernel lines from the journal unless in the systemd-journal or adm
# group (journalctl then prints nothing, exit 0), and dmesg fails with "Operation not
# permitted" when kernel.dmesg_restrict=1 (the Debian and Ubuntu default).
UNREADABLE_HINT = "run as root, or add the user to systemd-journal/adm"


def kernel_events(caps: Mapping[str, Capture]) -> tuple[list[XidEvent] | None, str]:
    """(events, where they came from), or (None, why no kernel log could be read).

    An empty journal is no evidence of a quiet kernel: it is what a user without access to the
    system journal sees. It counts only when dmesg corroborates it."""
    journal, prev, dmesg = caps.get("kernel_log"), caps.get("kernel_log_prev"), caps.get("dmesg")
    why_journal = _unreadable(journal, "journalctl -k")
    if not why_journal and journal is not None:
        events = parse_kernel_log(journal.stdout)
        if prev is not None and prev.error is None and prev.rc == 0:
            events += parse_kernel_log(prev.stdout, "previous")
        return events, f"journalctl -k (this boot and previous, since {gpu_sources.LOOKBACK})"
    why_dmesg = _unreadable(dmesg, "dmesg")
    if not why_dmesg and dmesg is not None:
        return parse_kernel_log(dmesg.stdout), "dmesg (this boot)"
    return None, f"kernel log unreadable: {why_journal}; {why_dmesg} ({UNREADABLE_HINT})"


def _minutes(ev: XidEvent) -> float | None:
    try:
        return datetime.fromisoformat(ev.at).timestamp() / 60.0 if ev.at else None
    except ValueError:
        return None


def repeated(events: list[XidEvent], count: int, window_h: float) -> bool:
    """`count` incidents at least a minute apart inside some window of `window_h` hours."""
    times = sorted(t for t in (_minutes(e) for e in events) if t is not None)
    incidents: list[float] = []
    for t in times:
        if not incidents or t - incidents[-1] >= 1.0:
            incidents.append(t)
    span = window_h * 60.0
    return any(
        incidents[i + count - 1] - incidents[i] <= span for i in range(len(incidents) - count + 1)
    )


def classify(code_events: list[XidEvent], pol: XidPolicy) -> str:
    ev = code_events[0]
    if ev.kind == "sxid":
        rule = pol.table.sxid.codes.get(ev.code)
        if rule:
            return rule.cls
        fatal = "fatal" in ev.message.lower() and "non-fatal" not in ev.message.lower()
        return pol.table.sxid.fatal_class if fatal else pol.table.sxid.nonfatal_class
    rule = pol.rule(ev.code)
    if rule.repeat and repeated(code_events, rule.repeat.count, rule.repeat.window_h):
        return rule.repeat.cls
    return rule.cls


def judge(events: list[XidEvent], pol: XidPolicy) -> tuple[Status, Action, list[str]]:
    """Worst verdict over one device's events; before-reboot resets/reboots count as done."""
    from diag.checks.gpu.xid_table import VERDICT

    by_code: dict[tuple[str, int], list[XidEvent]] = {}
    for ev in events:
        by_code.setdefault((ev.kind, ev.code), []).append(ev)
    worst, notes = (Status.PASS, Action.NONE), []
    for (kind, code), evs in sorted(by_code.items()):
        cls = classify(evs, pol)
        status, action = VERDICT[cls]
        if all(e.boot == "previous" for e in evs) and cls in ("reset", "reboot"):
            status, action, cls = Status.WARN, Action.MONITOR, cls + " (before last reboot)"
        name = pol.rule(code).name if kind == "xid" else ""
        notes.append(f"{kind.upper()} {code} x{len(evs)} → {cls}" + (f" ({name})" if name else ""))
        if list(Action).index(action) > list(Action).index(worst[1]) or (
            action == worst[1] and status is Status.FAIL
        ):
            worst = (status, action)
    return worst[0], worst[1], notes
