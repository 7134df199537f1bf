"""Baseline conformance, pure: a class baseline (schemas.airgap.Baseline) against what an L1
health run saw (schemas.lifecycle.Inventory), one finding per field the baseline sets. A field
the host could not report (no GPU driver loaded, no VBIOS read) is `unknown`, never a pass.
The same comparison against the snapshot recorded at provisioning is monitor-phase drift."""

from __future__ import annotations

from schemas.airgap import Baseline
from schemas.envelope import Finding, Severity, Status
from schemas.lifecycle import Inventory

FIELDS = ("driver", "cuda", "vbios", "kernel")
SEPARATORS = ".-+~"


def matches(expected: str, observed: str) -> bool:
    if observed == expected:
        return True
    return observed.startswith(expected) and observed[len(expected)] in SEPARATORS


def _observed(inv: Inventory, field: str) -> list[str]:
    if field == "vbios":
        return list(inv.vbios)
    value = str(getattr(inv, field))
    return [value] if value else []


def conformance(
    base: Baseline, inv: Inventory, check_id: str = "lifecycle.baseline"
) -> list[Finding]:
    out = []
    for field in FIELDS:
        want = str(getattr(base, field))
        if not want:
            continue
        seen = _observed(inv, field)
        bad = [v for v in seen if not matches(want, v)]
        if not seen:
            status, msg = Status.UNKNOWN, f"{field}: not reported by the host, baseline {want}"
        elif bad:
            status, msg = Status.FAIL, f"{field} {', '.join(sorted(set(bad)))}, baseline {want}"
        else:
            status, msg = Status.PASS, f"{field} {seen[0]} matches baseline {want}"
        sev = {Status.PASS: Severity.INFO, Status.FAIL: Severity.HIGH}.get(status, Severity.MEDIUM)
        out.append(
            Finding(check_id=check_id, status=status, severity=sev, entity=field, message=msg,
                    observed=seen, threshold=want)
        )  # fmt: skip
    return out


def snapshot(inv: Inventory) -> Baseline:
    """What the host runs now, as a baseline to hold it to later (drift)."""
    return Baseline(
        driver=inv.driver, cuda=inv.cuda, vbios=inv.vbios[0] if inv.vbios else "", kernel=inv.kernel
    )
