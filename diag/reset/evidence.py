"""Captures -> the evidence about each reset inside --since (pure: no I/O, no clock).

A reset is the end of an earlier boot: boot -1 ended in the reset that started this boot. Every
dated record is used only inside that boot's time window; older records are shown as `stale`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from diag.reset.parse import (
    Boot,
    Line,
    Record,
    iso,
    parse_boots,
    parse_efi,
    parse_intents,
    parse_journal,
    parse_listing,
    parse_sel,
    parse_watchdog,
    parse_wtmp,
)
from diag.reset.signals import WDIOF, XID, pstore_signal, sel_signal
from diag.reset.sources import capture_state
from schemas.capture import Capture
from schemas.record import field, record
from schemas.reset_records import EvidenceItem, SourceState

if TYPE_CHECKING:
    from schemas.reset import RebootIntent

SLACK_S = 120  # clocks of the kernel, RTC and BMC disagree by this much without being wrong
ARCHIVE_S = 600  # systemd-pstore and kdump write their copies this long after the next boot
LATE_S = 3600
# /var/crash also holds apport's user-space reports (`_usr_bin_foo.1000.crash`): not kernel.
_KDUMP = re.compile(
    r"^(vmcore|dmesg\.|dump\.)"
)  # kernel trouble this close to a boot's end is taken as its cause


@record()
class HostEvidence:
    facts: dict[str, Any]
    boots: list[Boot]  # earlier boots, newest first (index -1, -2, ...)
    journal_missing: str  # why the previous boot's journal cannot be judged; "" when it can
    journals: dict[int, tuple[list[Line], list[Line]]]  # index -> (tail, kernel lines)
    records: dict[str, list[Record]]  # pstore, kdump, sel, efi, wtmp
    intents: list[RebootIntent]
    bootstatus: dict[str, int]
    completeness: list[SourceState] = field(default_factory=list)

    @property
    def booted_s(self) -> int:
        return int(self.facts.get("btime_s") or 0)

    def next_start(self, boot: Boot) -> int:
        later = [b for b in self.boots if b.index == boot.index + 1]
        return later[0].first_s if later else self.booted_s

    def dump_window(self, boot: Boot) -> tuple[int, int]:
        """When a crash dump of this boot can be dated: from its start (with clock slack when
        the boot before it is unknown; a dump dated before it began is that earlier boot's)
        to ARCHIVE_S after the next boot started."""
        known_before = any(b.index == boot.index - 1 for b in self.boots)
        lo = boot.first_s if known_before else boot.first_s - SLACK_S
        return lo, max(self.next_start(boot), boot.last_s) + ARCHIVE_S


def item(source: str, at_s: int | None, excerpt: str, supports: str, w: float) -> EvidenceItem:
    text = " ".join(excerpt.split())
    return EvidenceItem(
        source=source, timestamp=iso(at_s), excerpt=text[:300], supports=supports, weight=w
    )


def _load(caps: Mapping[str, Capture], name: str, parse: Any, states: list[SourceState]) -> Any:
    """parse(stdout) when the capture is usable; its state is recorded either way."""
    cap = caps.get(name)
    state = capture_state(name, cap)
    if state.state == "ok" and cap is not None:
        try:
            value = parse(cap.stdout)
        except (ValueError, TypeError, RecursionError) as exc:
            state = SourceState(source=name, state="error", reason=f"unreadable: {exc}"[:200])
            value = None
    else:
        value = None
    states.append(state)
    return value


def _journal_missing(caps: Mapping[str, Capture], facts: Mapping[str, Any], boots: Any) -> str:
    boots_cap, tail = caps.get("boots"), caps.get("tail:-1")
    if boots is None:
        return f"journal: {capture_state('boots', boots_cap).reason}"
    if not any(b.index == -1 for b in boots):
        said = boots_cap.stdout.strip().splitlines() if boots_cap is not None else []
        why = "the journal holds no previous boot" + (
            f" ({said[0][:120]})" if said and not boots else ""
        )
        if facts.get("volatile_journal") and not facts.get("persistent_journal"):
            why += " (volatile: /run/log/journal only, nothing survives a reboot)"
        elif not facts.get("persistent_journal"):
            why += " (no /var/log/journal: journald keeps nothing across boots)"
        return why
    state = capture_state("tail:-1", tail)
    if state.state != "ok":
        return f"previous boot's journal: {state.reason}"
    if tail is not None and not parse_journal(tail.stdout):
        return "the journal has no entries for the previous boot"
    return ""


def gather(caps: Mapping[str, Capture], since_s: int) -> HostEvidence:
    states: list[SourceState] = []
    facts = _load(caps, "facts", json.loads, []) or {}
    boots = _load(caps, "boots", parse_boots, states)
    earlier = sorted((b for b in boots or [] if b.index < 0), key=lambda b: -b.index)
    journals = {}
    for b in earlier:
        tail = _load(caps, f"tail:{b.index}", parse_journal, states)
        kern = _load(caps, f"kernel:{b.index}", parse_journal, states)
        if tail is not None or kern is not None:
            journals[b.index] = (tail or [], kern or [])
    records: dict[str, list[Record]] = {}
    for name in ("pstore", "pstore_archive", "kdump"):
        records[name] = _files(_load(caps, name, parse_listing, states) or [])
    records["ipmi_sel"] = _load(caps, "ipmi_sel", parse_sel, states) or []
    records["efi"] = _load(caps, "efi", parse_efi, states) or []
    records["wtmp"] = _load(caps, "wtmp", parse_wtmp, states) or []
    intents = _load(caps, "intents", lambda t: _intents(t, caps), states) or []
    status = _load(caps, "watchdog", parse_watchdog, states) or {}
    missing = _journal_missing(caps, facts, boots)
    if missing and "tail:-1" not in caps:
        states.append(SourceState(source="journal_prev", state="missing", reason=missing))
    now = int(facts.get("now_s") or 0)
    kept = [b for b in earlier if b.index == -1 or b.last_s >= now - since_s]
    return HostEvidence(
        facts=facts,
        boots=kept,
        journal_missing=missing,
        journals=journals,
        records=records,
        intents=intents,
        bootstatus=status,
        completeness=states,
    )


def _intents(text: str, caps: Mapping[str, Capture]) -> list[RebootIntent]:
    cap = caps.get("intents")
    if cap is not None and cap.truncated_bytes:  # the kept tail starts inside a line
        text = text.split("\n", 1)[1] if "\n" in text else ""
    intents, problems = parse_intents(text)
    if problems:
        raise ValueError(f"{len(problems)} bad record(s), first: {problems[0]}")
    return intents


def _files(entries: list[dict[str, Any]]) -> list[Record]:
    out = []
    for e in entries:
        if e.get("dir") or "error" in e:
            continue
        name = str(e["path"]).rsplit("/", 1)[-1]
        head = str(e.get("head", ""))
        text = (
            f"{e['path']} ({e.get('size', 0)} bytes) {head[:120]} {str(e.get('tail', ''))[-160:]}"
        )
        out.append(Record(int(e.get("mtime_s") or 0) or None, f"{name}\x00{head}\x00{text}"))
    return out


def xids_of(kernel: list[Line]) -> list[tuple[int | None, int, str]]:
    """(time, Xid code, line) of each NVRM Xid line."""
    out = []
    for ln in kernel:
        m = XID.search(ln.msg)
        if m:
            out.append((ln.at_s, int(m.group(2)), ln.msg))
    return out


def bootstatus_items(status: Mapping[str, int]) -> list[EvidenceItem]:
    items = []
    for dev, bits in sorted(status.items()):
        for bit, (name, reason, w) in WDIOF.items():
            if bits & bit:
                items.append(
                    item("watchdog", None, f"{dev} bootstatus {bits:#x}: {name}", reason, w)
                )
    return items


# systemd-pstore (Storage=external, as recorded on Debian 12 / systemd 252) copies each record
# from /sys/fs/pstore into /var/lib/systemd/pstore keeping its time (the crash's), and also
# writes `dmesg.txt`, the parts joined, dated when it ran: early in the NEXT boot.
_JOINED = "dmesg.txt"


def pstore_items(
    rec: Record, source: str, window: tuple[int, int], next_start: int, parts: frozenset[str]
) -> EvidenceItem | None:
    """The record as evidence for the boot whose dump `window` and next boot start are given;
    `parts` are the directories holding dated dmesg-* parts (their dmesg.txt is a copy)."""
    name, head, text = rec.text.split("\x00", 2)
    if source == "kdump":  # Ubuntu dump.<stamp>/dmesg.<stamp>, RHEL vmcore, vmcore-dmesg.txt
        sig = ("kernel_panic", 0.7) if _KDUMP.match(name) else None
    else:
        sig = pstore_signal(name, head)
    if sig is None:
        return None
    lo, hi = window
    joined = source == "pstore_archive" and name == _JOINED
    if joined:
        lo, hi = next_start, next_start + ARCHIVE_S
        if text.split(" (", 1)[0].rsplit("/", 1)[0] in parts:
            sig = ("context", 0.0)  # the same dump as its parts: counted once
    if rec.at_s is None or not lo <= rec.at_s <= hi:
        return item(source, rec.at_s, f"outside the boot's window: {text}", "stale", 0.0)
    return item(source, rec.at_s, text, *sig)


def dump_parts(records: list[Record], window: tuple[int, int]) -> frozenset[str]:
    """Directories holding a dmesg-* part dated inside the window."""
    out = set()
    for rec in records:
        name, _head, text = rec.text.split("\x00", 2)
        dated = rec.at_s is not None and window[0] <= rec.at_s <= window[1]
        if name.startswith("dmesg-") and dated:
            out.add(text.split(" (", 1)[0].rsplit("/", 1)[0])
    return frozenset(out)


def sel_items(records: list[Record], lo: int, hi: int) -> list[EvidenceItem]:
    out = []
    for rec in records:
        sig = sel_signal(rec.text)
        if sig is not None and rec.at_s is not None and lo <= rec.at_s <= hi:
            out.append(item("ipmi_sel", rec.at_s, rec.text, *sig))
    return out
