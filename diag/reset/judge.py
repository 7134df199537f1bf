"""One host's captures judged: the `data` fields and findings of its `reset_reason` envelope.

Pure and stdlib-only (the records are dataclasses), so both `reset-reason` paths share it: the
model path wraps the fields in ResetData (diag/reset_reason.py), the `--local` fast path writes
them with `json` (diag/fastpath/reset.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from typing import Any

from diag.reset.correlate import Thresholds, rate_finding, reason_finding, repeat_findings, timeline
from diag.reset.evidence import HostEvidence, gather
from diag.reset.parse import iso
from schemas.capture import Capture
from schemas.finding import Finding
from schemas.reset_records import BootWindow

DEFAULT_SINCE_S = 7 * 86400


@cache
def gpu_fault_xids() -> tuple[frozenset[int], dict[int, str]]:
    """Xid codes whose shipped class needs a GPU reset or more, and every code's name.

    Loaded only for a host whose kernel log has an Xid line (the table is YAML: ~60 ms)."""
    from diag.checks.gpu.xid_table import load_table

    table = load_table()
    hard = frozenset(c for c, r in table.xid.items() if r.cls in ("reset", "reboot", "isolate"))
    return hard, {c: r.name for c, r in table.xid.items()}


def judge_fields(
    caps: Mapping[str, Capture], since_s: int, thresholds: Thresholds
) -> tuple[dict[str, Any], list[Finding]]:
    """Captures -> ResetData's fields (in its order, payload_ms left out) and the findings."""
    ev: HostEvidence = gather(caps, since_s)
    has_xid = any(k.startswith("kernel:") and "NVRM: Xid" in c.stdout for k, c in caps.items())
    hard, names = gpu_fault_xids() if has_xid else (frozenset(), {})
    verdict, entries = timeline(ev, hard)
    prev = next((b for b in ev.boots if b.index == -1), None)
    fields = {
        "reason": verdict.reason,
        "confidence": verdict.confidence,
        "explanation": verdict.explanation,
        "boot_id": str(ev.facts.get("boot_id", "")),
        "booted_at": iso(ev.booted_s) if ev.booted_s else "",
        "previous_boot": None
        if prev is None
        else BootWindow(
            index=-1, boot_id=prev.boot_id, first_at=iso(prev.first_s), last_at=iso(prev.last_s)
        ),
        "evidence": verdict.evidence,
        "evidence_completeness": ev.completeness,
        "timeline": entries,
        "since_s": since_s,
        "arch": str(ev.facts.get("arch", "")),
    }
    findings = [reason_finding(verdict, prev.boot_id if prev else "")]
    findings += repeat_findings(entries, thresholds, names)
    findings.append(rate_finding(entries, thresholds, int(ev.facts.get("now_s") or 0)))
    return fields, findings


def facts_hostname(caps: Mapping[str, Capture]) -> str:
    cap = caps.get("facts")
    try:
        doc = json.loads(cap.stdout) if cap is not None else {}
    except (ValueError, RecursionError):
        return ""
    return str(doc.get("hostname", "")) if isinstance(doc, dict) else ""
