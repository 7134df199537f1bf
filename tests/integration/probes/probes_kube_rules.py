"""The kube-apiserver rules the stand-in (probes_kube_standin) applies to Node writes, as the
Kubernetes API reference documents them:

- the status subresource takes a strategic merge patch whose `status.conditions` items merge by
  their `type` key (patchMergeKey); it changes nothing outside `status`;
- taints: `effect` one of NoSchedule, PreferNoSchedule, NoExecute; `key` a qualified name;
  `value` a label value; unique by (key, effect); no other fields than key, value, effect,
  timeAdded;
- conditions: `status` True, False or Unknown; unique `type`; times RFC 3339 in UTC; `reason`
  CamelCase as metav1.Condition requires (the apiserver is laxer for NodeCondition; the
  stand-in holds diagctl to the stricter rule).
"""

from __future__ import annotations

import copy
import re
from typing import Any

EFFECTS = {"NoSchedule", "PreferNoSchedule", "NoExecute"}
NAME = r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)"
QUALIFIED = re.compile(rf"([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?{NAME}")
LABEL_VALUE = re.compile(rf"{NAME}?")
REASON = re.compile(r"[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?")
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
TAINT_FIELDS = {"key", "value", "effect", "timeAdded"}
CONDITION_FIELDS = {"type", "status", "reason", "message", "lastHeartbeatTime",
                    "lastTransitionTime"}  # fmt: skip


def apply_status(node: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """A strategic merge patch on the status subresource: only `status` changes; conditions
    merge by `type` (a new type is appended, a known one has its fields replaced)."""
    new = copy.deepcopy(node)
    status = new.setdefault("status", {})
    for key, value in (patch.get("status") or {}).items():
        if key != "conditions":
            status[key] = copy.deepcopy(value)
            continue
        conds = status.setdefault("conditions", [])
        for item in value:
            old = next((c for c in conds if c.get("type") == item.get("type")), None)
            if old is None:
                conds.append(copy.deepcopy(item))
            else:
                old.update(copy.deepcopy(item))
    return new


def problems(node: dict[str, Any]) -> str:
    """Why the apiserver would refuse this node as written ("" when valid)."""
    out = [*_taint_problems((node.get("spec") or {}).get("taints") or [])]
    out += _condition_problems((node.get("status") or {}).get("conditions") or [])
    return "; ".join(out)


def _taint_problems(taints: list[Any]) -> list[str]:
    out, seen = [], set()
    for i, t in enumerate(taints):
        where = f"spec.taints[{i}]"
        if not isinstance(t, dict) or set(t) - TAINT_FIELDS:
            out.append(f"{where}: unknown fields")
            continue
        if t.get("effect") not in EFFECTS:
            out.append(f"{where}.effect: Unsupported value: {t.get('effect')!r}")
        if not QUALIFIED.fullmatch(str(t.get("key", ""))) or len(str(t.get("key"))) > 316:
            out.append(f"{where}.key: Invalid value")
        value = str(t.get("value", ""))
        if len(value) > 63 or not LABEL_VALUE.fullmatch(value):
            out.append(f"{where}.value: Invalid value")
        pair = (t.get("key"), t.get("effect"))
        if pair in seen:
            out.append(f"{where}: Duplicate value: taints must be unique by key and effect pair")
        seen.add(pair)
    return out


def _condition_problems(conds: list[Any]) -> list[str]:
    out, seen = [], set()
    for i, c in enumerate(conds):
        where = f"status.conditions[{i}]"
        if not isinstance(c, dict) or set(c) - CONDITION_FIELDS or not c.get("type"):
            out.append(f"{where}: unknown fields or no type")
            continue
        if c.get("status") not in {"True", "False", "Unknown"}:
            out.append(f"{where}.status: Unsupported value: {c.get('status')!r}")
        if "reason" in c and not REASON.fullmatch(str(c["reason"])):
            out.append(f"{where}.reason: Invalid value")
        for field in ("lastHeartbeatTime", "lastTransitionTime"):
            if field in c and not TIME.fullmatch(str(c[field])):
                out.append(f"{where}.{field}: Invalid value")
        if c["type"] in seen:
            out.append(f"{where}.type: Duplicate value")
        seen.add(c["type"])
    return out
