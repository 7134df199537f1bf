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
import os
from functools import cache
from typing import Any

import diag
from diag.checks import REGISTRY, Context, Rules
from diag.fastpath.argv import LocalHealth
from diag.fastpath.doc import Unusual as Unusual
from diag.fastpath.doc import envelope_line, parse_payload, plain
from diag.judge import facts_of, host_facts, host_identity, judge
from diag.transport.base import CommandResult, Target

KIND = "health.l1"


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
    host_id, id_source = host_identity(facts)
    host = {
        "name": target.name,
        "address": target.address,
        "host_id": host_id,
        "host_id_source": id_source,
        "hostname": str(facts.get("hostname", "")) if facts else "",
    }
    data = {
        "host_class": "",
        "payload_mode": doc.get("mode", "python"),
        "payload_ms": doc.get("duration_ms", 0),
        "facts": hf,
        "checks": runs,
        "inventory": inventory,
    }
    line, status = envelope_line(
        KIND, host, findings, caps, started, t0, plain(data), opts.max_bytes
    )
    return line, status, sum(f["status"] == "unknown" for f in findings)
