"""The request bodies of the Kubernetes health mode (`health --act --backend kubernetes`). Pure.

The node condition goes to the **status subresource** (`PATCH /api/v1/nodes/NAME/status`) as a
**strategic merge patch** (`application/strategic-merge-patch+json`): `Node.status.conditions`
is declared `patchStrategy:"merge" patchMergeKey:"type"` in k8s.io/api core/v1, so the patch
carries only our condition and the API server merges it by `type`, leaving the kubelet's own
(Ready, MemoryPressure, ...) untouched whatever it wrote in between. node-problem-detector sets
its conditions the same way. A JSON merge patch (RFC 7386) would replace the whole list, and a
JSON patch (RFC 6902) addresses items by index, which shifts under the kubelet's heartbeats.

`NodeSpec.taints` has no merge key, so any patch replaces the whole list: the taint patch is a
JSON merge patch on the node that carries the `metadata.resourceVersion` it was computed from.
The API server treats that as a precondition (409 Conflict when someone wrote the node in
between); the caller reads the node again and recomputes, a bounded number of times. Taints of
other keys (a human's, a device plugin's) are copied as read, `timeAdded` included.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from diag import redact
from probes.backends import clean_reason

CONDITION = "DiagctlUnhealthy"  # the condition type diagctl owns (True: failing checks)
TAINT_KEY = "diagctl.io/unhealthy"  # the only taint key diagctl adds or removes
ANNOTATION = "diagctl.io/health"  # which effects diagctl added, and why
PASSED = "ChecksPassed"  # the condition's reason once the host passes again
FALLBACK = "HealthCheckFailed"
# metav1.Condition's reason rule (CamelCase, machine-readable); NodeCondition follows it.
REASON = re.compile(r"[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?")
LABEL_VALUE = re.compile(r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?")  # a taint value
MESSAGE_CHARS = 256


@dataclass(frozen=True)
class Note:
    """What the condition says about one node: a CamelCase reason and a short message."""

    reason: str
    message: str


def reason_of(check_id: str) -> str:
    """`gpu.memory` → `GpuMemory`, `host.kernel_log` → `HostKernelLog` (CamelCase, 63 chars
    at most so that it is also a valid taint value)."""
    words = re.split(r"[^A-Za-z0-9]+", check_id)
    reason = "".join(w[:1].upper() + w[1:] for w in words if w)[:63]
    return reason if REASON.fullmatch(reason) and LABEL_VALUE.fullmatch(reason) else FALLBACK


def condition(
    failing: bool, note: Note, now: str, previous: dict[str, Any] | None
) -> dict[str, Any]:
    """Our condition entry. `lastTransitionTime` moves only when the status changes, as the
    kubelet and node-problem-detector keep it; `lastHeartbeatTime` is this write."""
    status = "True" if failing else "False"
    same = previous is not None and previous.get("status") == status
    since = str(previous.get("lastTransitionTime") or now) if same and previous else now
    return {
        "type": CONDITION,
        "status": status,
        "reason": note.reason if REASON.fullmatch(note.reason) else FALLBACK,
        "message": clean_reason(redact.text(note.message), MESSAGE_CHARS),
        "lastHeartbeatTime": now,
        "lastTransitionTime": since,
    }


def status_patch(cond: dict[str, Any]) -> dict[str, Any]:
    return {"status": {"conditions": [cond]}}


def current_condition(node: dict[str, Any]) -> dict[str, Any] | None:
    conds = (node.get("status") or {}).get("conditions") or []
    return next((c for c in conds if isinstance(c, dict) and c.get("type") == CONDITION), None)


def taints(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for t in (node.get("spec") or {}).get("taints") or [] if isinstance(t, dict)]


def ours(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for t in taints(node) if t.get("key") == TAINT_KEY]


def mark(node: dict[str, Any]) -> dict[str, Any] | None:
    """Our annotation, parsed; None when absent (a taint of our key without it is not ours)."""
    raw = ((node.get("metadata") or {}).get("annotations") or {}).get(ANNOTATION)
    if raw is None:
        return None
    try:
        doc = json.loads(raw)
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}


def taint_patch(node: dict[str, Any], effects: list[str], note: Note | None) -> dict[str, Any]:
    """Add our taint with `effects` (note given) or remove every taint of our key (note None),
    keeping every other taint as read; the annotation goes and comes with it."""
    kept = [t for t in taints(node) if t.get("key") != TAINT_KEY]
    value = note.reason if note and LABEL_VALUE.fullmatch(note.reason) else "true"
    added = [{"key": TAINT_KEY, "value": value, "effect": e} for e in effects] if note else []
    annotation = json.dumps({"effects": effects, "reason": note.reason}) if note else None
    return {
        "metadata": {
            "resourceVersion": str((node.get("metadata") or {}).get("resourceVersion", "")),
            "annotations": {ANNOTATION: annotation},
        },
        "spec": {"taints": [*kept, *added]},
    }
