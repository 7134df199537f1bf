"""Why one boot ended: the evidence inside its time window, a reason, and a confidence.

Reasons are tried in a fixed order, the first with evidence wins:
firmware_update, hardware_fault, gpu_fault_then_reset, kernel_panic, watchdog_reset,
planned_shutdown, planned_reboot, power_loss. Nothing: `unknown`.

confidence = support x (1 - 0.5 x against) x completeness x clock, rounded to 0.01, where
  support      = 1 - prod(1 - w) over the evidence for the reason (independent sources add up),
  against      = the largest weight pointing the other way (planned vs unplanned; a GPU fault
                 contradicts neither: an operator may reboot a host after it),
  completeness = max(0.5, 1 - 0.1 x sources in error),
  clock        = 0.8 when the clock jumped (a boot ends after the next one started), else 1.
`unknown` has confidence 0.
"""

from __future__ import annotations

from math import prod

from diag.reset.evidence import (
    LATE_S,
    SLACK_S,
    HostEvidence,
    bootstatus_items,
    dump_parts,
    item,
    pstore_items,
    sel_items,
    xids_of,
)
from diag.reset.parse import Boot
from diag.reset.signals import kernel_signal, shutdown_signal, wtmp_signal
from schemas.record import record
from schemas.reset_records import EvidenceItem, Reason

ORDER: tuple[Reason, ...] = (
    "firmware_update",
    "hardware_fault",
    "gpu_fault_then_reset",
    "kernel_panic",
    "watchdog_reset",
    "planned_shutdown",
    "planned_reboot",
    "power_loss",
)
PLANNED = frozenset({"planned_reboot", "planned_shutdown", "firmware_update"})
UNPLANNED = frozenset(set(ORDER) - PLANNED - {"gpu_fault_then_reset"})
CAPSULE_S = 1800  # a capsule is applied during the reset, minutes around the boot boundary


@record()
class Verdict:
    reason: Reason
    confidence: float
    explanation: str
    clean: bool | None  # shutdown markers seen; None when the journal cannot say
    evidence: list[EvidenceItem]
    xids: list[int]


def _journal_items(ev: HostEvidence, boot: Boot, gpu_xids: frozenset[int]) -> list[EvidenceItem]:
    tail, kernel = ev.journals.get(boot.index, ([], []))
    items = []
    for ln in tail:
        sig = shutdown_signal(ln.ident, ln.msg)
        if sig:
            items.append(item("journal", ln.at_s, f"{ln.ident}: {ln.msg}", *sig))
    late = boot.last_s - LATE_S
    for ln in kernel:
        sig = kernel_signal(ln.msg) or shutdown_signal("kernel", ln.msg)
        if sig is None:
            continue
        recent = ln.at_s is None or ln.at_s >= late
        items.append(item("kernel", ln.at_s, ln.msg, *(sig if recent else ("context", 0.0))))
    for at_s, code, msg in xids_of(kernel):
        hit = code in gpu_xids and (at_s is None or at_s >= late)
        items.append(
            item("kernel", at_s, msg, *(("gpu_fault_then_reset", 0.6) if hit else ("context", 0.0)))
        )
    return items


def _other_items(ev: HostEvidence, boot: Boot) -> list[EvidenceItem]:
    nxt = ev.next_start(boot)
    window = ev.dump_window(boot)
    items = []
    for source in ("pstore", "pstore_archive", "kdump"):
        records = ev.records.get(source, [])
        parts = dump_parts(records, window)
        for rec in records:
            found = pstore_items(rec, source, window, nxt, parts)
            if found is not None:
                items.append(found)
    items += sel_items(ev.records.get("ipmi_sel", []), boot.last_s - SLACK_S, nxt + SLACK_S)
    for rec in ev.records.get("efi", []):
        if rec.at_s is not None and boot.last_s - CAPSULE_S <= rec.at_s <= nxt + CAPSULE_S:
            items.append(item("efi", rec.at_s, rec.text, "firmware_update", 0.8))
        elif rec.at_s is None and boot.index == -1:
            items.append(item("efi", None, rec.text, "context", 0.0))
    for rec in ev.records.get("wtmp", []):
        if rec.at_s is None or not boot.last_s - SLACK_S <= rec.at_s <= nxt:
            continue
        sig = wtmp_signal(rec.text)
        if sig is not None:
            items.append(item("wtmp", rec.at_s, rec.text, *sig))
    bid = boot.boot_id.replace("-", "")
    for intent in ev.intents:
        if intent.boot_id.replace("-", "").lower() == bid:
            text = f"diagctl {intent.action} requested by {intent.requested_by}: {intent.reason}"
            items.append(
                item(
                    "intents",
                    None,
                    text,
                    f"planned_{'reboot' if intent.action == 'reboot' else 'shutdown'}",
                    0.5,
                )
            )
    if boot.index == -1:
        items += bootstatus_items(ev.bootstatus)
    return items


def _confidence(reason: Reason, items: list[EvidenceItem], errors: int, jumped: bool) -> float:
    support = 1 - prod(1 - i.weight for i in items if i.supports == reason)
    if reason == "gpu_fault_then_reset":
        against = 0.0
    else:
        other = UNPLANNED if reason in PLANNED else PLANNED
        against = max((i.weight for i in items if i.supports in other), default=0.0)
    value = support * (1 - 0.5 * against) * max(0.5, 1 - 0.1 * errors) * (0.8 if jumped else 1)
    return round(value, 2)


def judge(ev: HostEvidence, boot: Boot, gpu_xids: frozenset[int], errors: int) -> Verdict:
    """The verdict for the reset that ended `boot` (never `power_loss` on an absent journal)."""
    items = _journal_items(ev, boot, gpu_xids) + _other_items(ev, boot)
    items.sort(key=lambda i: (i.timestamp or "~", i.source))
    xids = sorted(
        {
            code
            for at, code, _ in xids_of(ev.journals.get(boot.index, ([], []))[1])
            if code in gpu_xids
        }
    )
    jumped = boot.last_s > ev.next_start(boot) + SLACK_S
    if jumped:
        items.append(
            item(
                "boots",
                boot.last_s,
                f"clock jump: boot {boot.boot_id[:8]} ends after the next boot started",
                "context",
                0.0,
            )
        )
    clean = any(i.source in ("journal", "kernel") and i.supports in PLANNED for i in items)
    if boot.index == -1 and ev.journal_missing:
        why = f"{ev.journal_missing}; other evidence is listed but not judged without it"
        return Verdict("unknown", 0.0, why, None, items, xids)
    if boot.index not in ev.journals:
        return Verdict("unknown", 0.0, "this boot's journal could not be read", None, items, xids)
    for reason in ORDER:
        if any(i.supports == reason for i in items):
            conf = _confidence(reason, items, errors, jumped)
            n = sum(i.supports == reason for i in items)
            return Verdict(
                reason, conf, f"{n} piece(s) of evidence point to {reason}", clean, items, xids
            )
    why = (
        "the journal ends without shutdown markers and no source names a cause "
        "(power loss, a hardware reset or a hang)"
    )
    return Verdict("unknown", 0.0, why, False, items, xids)
