"""`health --local` judged without pydantic: the same envelope, written with `json`.

The payload starts first (diag/payload/early.py), the checks load while it runs, and the
envelope is built as a dict in the models' field order from the same code the model path uses
(diag/judge.py). Anything this path does not reproduce byte for byte goes through the model
path with the output already collected: a payload document of an unexpected shape, an envelope
over its byte cap (bounding is diag/envelope.py's), a float JSON would spell differently, a
transport error or a check-crash. tests/unit/speed/test_fast_local.py runs every recorded
fixture through both paths and compares the bytes.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import fields, is_dataclass
from enum import Enum
from functools import cache
from typing import Any

import diag
from diag.checks import REGISTRY, Context, Rules
from diag.fastpath.argv import LocalHealth
from diag.judge import facts_of, host_facts, host_identity, judge
from diag.transport.base import CommandResult, Target
from schemas.capture import Capture, CaptureFilter
from schemas.enums import Status

SCHEMA_VERSION = "1.3"  # schemas/envelope.py's; a unit test keeps them equal
KIND = "health.l1"


class Unusual(Exception):
    """Something only the model path reproduces exactly: judge there instead."""


# policies/default.yaml as JSON (no YAML parser on this path); tests/unit/speed keeps the two
# equal (`pytest --regen` rewrites it) and the checks' rules equal to the validated policy.
POLICY_JSON = os.path.join(os.path.dirname(diag.__file__), "policies", "default.json")


@cache
def default_rules() -> dict[str, dict[str, Any]]:
    """The shipped policy's checks (validated by pydantic in tests/unit/speed)."""
    with open(POLICY_JSON, encoding="utf-8") as fh:
        checks: dict[str, dict[str, Any]] = json.load(fh)["checks"]
    return checks


def rules_for(check_id: str, _host_class: str) -> tuple[bool, Rules]:
    pol = default_rules().get(check_id, {})
    return bool(pol.get("enabled", True)), Rules(pol.get("thresholds", {}), pol.get("source", ""))


CAPTURE_KEYS = {f.name for f in fields(Capture)}
FILTER_KEYS = {f.name for f in fields(CaptureFilter)}
TYPES = {"source": str, "stdout": str, "stderr": str, "duration_ms": int, "truncated_bytes": int}


def _capture(raw: object) -> Capture:
    """A payload capture, only when it has exactly the shape the model would accept as is."""
    if not isinstance(raw, dict) or not set(raw) <= CAPTURE_KEYS or "source" not in raw:
        raise Unusual("capture shape")
    for key, want in TYPES.items():
        if key in raw and type(raw[key]) is not want:
            raise Unusual(f"capture {key}")
    filt = raw.get("filtered")
    if filt is not None:
        if not isinstance(filt, dict) or set(filt) != FILTER_KEYS:
            raise Unusual("capture filter")
        raw = {**raw, "filtered": CaptureFilter(**filt)}
    rc, err = raw.get("rc"), raw.get("error")
    if (rc is not None and type(rc) is not int) or err not in (
        None, "missing", "permission", "timeout", "exec_failed", "unsupported"
    ):  # fmt: skip
        raise Unusual("capture rc/error")
    return Capture(**raw)


def parse_payload(stdout: bytes) -> tuple[dict[str, Any], dict[str, Capture]]:
    lines = [ln for ln in stdout.splitlines() if ln.startswith(b"{")]
    if not lines:
        raise Unusual("no payload document")
    try:
        doc = json.loads(lines[-1].decode("utf-8", "replace"))
    except (ValueError, RecursionError) as exc:
        raise Unusual("payload JSON") from exc
    keys = {"payload_version", "mode", "duration_ms", "captures"}
    if (
        not isinstance(doc, dict)
        or not set(doc) <= keys
        or type(doc.get("payload_version")) is not int
    ):
        raise Unusual("payload shape")
    if (
        doc.get("mode", "python") not in ("python", "sh")
        or type(doc.get("duration_ms", 0)) is not int
    ):
        raise Unusual("payload mode")
    caps = doc.get("captures", {})
    if not isinstance(caps, dict):
        raise Unusual("captures")
    return doc, {str(k): _capture(v) for k, v in caps.items()}


def plain(node: Any) -> Any:
    """JSON-ready data as pydantic would serialise it; Unusual where the bytes could differ."""
    if isinstance(node, Enum):
        return node.value
    if node is None or isinstance(node, (bool, int, str)):
        return node
    if isinstance(node, float):
        if not math.isfinite(node) or (node != 0 and not 1e-4 <= abs(node) < 1e16):
            raise Unusual("float spelling")
        return node
    if is_dataclass(node) and not isinstance(node, type):
        return {f.name: plain(getattr(node, f.name)) for f in fields(node)}
    if isinstance(node, (list, tuple)):
        return [plain(v) for v in node]
    if isinstance(node, dict) and all(type(k) is str for k in node):
        return {k: plain(v) for k, v in node.items()}
    raise Unusual(f"type {type(node).__name__}")


def summary(findings: list[dict[str, Any]]) -> dict[str, int]:
    count = {s.value: 0 for s in Status}
    for f in findings:
        count[f["status"]] += 1
    return {
        "total": len(findings),
        "passed": count["pass"],
        "warn": count["warn"],
        "fail": count["fail"],
        "unknown": count["unknown"],
        "error": count["error"],
        "not_applicable": count["not_applicable"],
    }


def host_status(findings: list[dict[str, Any]]) -> str:
    """diag.envelope.host_status for a run without errors (a check crash goes the model way)."""
    if not findings:
        return "unknown"
    statuses = (Status(f["status"]) for f in findings)
    worst = max(
        (Status.PASS if s is Status.NOT_APPLICABLE else s for s in statuses), key=lambda s: s.rank
    )
    return str(worst.value)


def envelope(
    target: Target, res: CommandResult, opts: LocalHealth, started: str, t0: float
) -> tuple[bytes, str, int]:
    """The host's envelope line, its status and unknown count, as the model path would give
    them; Unusual where it might not."""
    if res.error:
        raise Unusual("transport")
    doc, caps = parse_payload(res.stdout)
    if doc.get("mode", "python") != "python":
        raise Unusual("sh mode")
    facts = facts_of(caps)
    hf = host_facts(facts)
    extra = {} if opts.expect_gpus is None else {"expect_gpus": opts.expect_gpus}
    ctx = Context(cpu_count=hf["cpu_count"], host_class="", extra=extra)
    found, runs, errors = judge(caps, REGISTRY.values(), rules_for, ctx)
    if errors:
        raise Unusual("check crashed")
    from diag.assets import inventory_fields

    inventory = inventory_fields(facts, caps, ctx.memo)
    findings = [plain(f) for f in found]
    status = host_status(findings)
    findings_unknown = sum(f["status"] == "unknown" for f in findings)
    host_id, id_source = host_identity(facts)
    env = {
        "schema_version": SCHEMA_VERSION,
        "kind": KIND,
        "tool": "diagctl",
        "tool_version": diag.__version__,
        "host": {
            "name": target.name,
            "address": target.address,
            "host_id": host_id,
            "host_id_source": id_source,
            "hostname": str(facts.get("hostname", "")) if facts else "",
        },
        "ok": status == "pass",
        "status": status,
        "summary": summary(findings),
        "findings": findings,
        "errors": [],
        "truncated": {
            "cap_bytes": 0,
            "fields": [],
            "findings_dropped": 0,
            "captures": {k: c.truncated_bytes for k, c in caps.items() if c.truncated_bytes},
        },
        "collected_at": started,
        "duration_ms": int((time.monotonic() - t0) * 1000),
        "replayed": None,
        "data": plain(
            {
                "host_class": "",
                "payload_mode": doc.get("mode", "python"),
                "payload_ms": doc.get("duration_ms", 0),
                "facts": hf,
                "checks": runs,
                "inventory": inventory,
            }
        ),
    }
    try:
        line = json.dumps(env, ensure_ascii=False, separators=(",", ":")).encode()
    except (UnicodeEncodeError, ValueError) as exc:
        raise Unusual("encoding") from exc
    if len(line) > opts.max_bytes:
        raise Unusual("over the byte cap")
    return line, status, findings_unknown
