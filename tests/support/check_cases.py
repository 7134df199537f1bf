"""Check fixture cases: tests/fixtures/checks/<check_id>/<case>/.

A case directory holds
  <capture>.txt   the stdout of each capture, byte for byte (UTF-8), as the payload returned it;
  case.json       the rest of each capture (source, rc, stderr, error, ...) and the context
                  (cpu_count, host_class, extra) the check runs with;
  policy.yaml     optional: a policy replacing the shipped one for this case;
  expected.json   the WHOLE list of findings the check returns (`pytest --regen` rewrites it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from diag.checks import REGISTRY, Context
from diag.hostcheck import HealthOptions, run_checks
from diag.policy import Policy
from schemas.payload import Capture

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "checks"
# A real capture: taken by the payload on a real host (scrubbed), edited in nothing.
REAL_PREFIX = "real_"
# Garbage: binary junk, truncated or empty captures; the check must not pass over them.
GARBAGE_PREFIXES = ("garbage", "truncated", "empty")


def cases() -> list[Path]:
    return sorted(p.parent for p in FIXTURES.glob("*/*/case.json"))


def load_case(case: Path) -> tuple[dict[str, Capture], Context, Policy]:
    doc = json.loads((case / "case.json").read_text(encoding="utf-8"))
    caps = {}
    for name, meta in doc["captures"].items():
        txt = case / f"{name}.txt"
        stdout = txt.read_bytes().decode("utf-8") if txt.exists() else ""
        caps[name] = Capture.model_validate({**meta, "stdout": stdout})
    ctx = doc.get("context", {})
    context = Context(
        cpu_count=int(ctx.get("cpu_count", 0)),
        host_class=str(ctx.get("host_class", "")),
        extra=dict(ctx.get("extra", {})),
    )
    policy = Policy.load(case / "policy.yaml" if (case / "policy.yaml").exists() else None)
    return caps, context, policy


def run_case(case: Path) -> list[dict[str, Any]]:
    """The findings of the case's check over the case's captures, as JSON values."""
    caps, ctx, policy = load_case(case)
    check = REGISTRY[case.parent.name]
    findings, _runs, _errors = run_checks(caps, HealthOptions(policy=policy, checks=[check]), ctx)
    return [f.model_dump(mode="json") for f in findings]


def write_case(
    case: Path, caps: dict[str, Capture], context: dict[str, Any], policy: str | None = None
) -> None:
    """Write captures and context as a case directory (used to convert and to add cases)."""
    case.mkdir(parents=True, exist_ok=True)
    meta = {}
    for name, cap in sorted(caps.items()):
        meta[name] = cap.model_dump(exclude={"stdout"})
        if cap.stdout:
            (case / f"{name}.txt").write_bytes(cap.stdout.encode("utf-8"))
    doc = {"context": context, "captures": meta}
    (case / "case.json").write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    if policy is not None:
        (case / "policy.yaml").write_text(policy)


def write_expected(case: Path, findings: list[dict[str, Any]]) -> None:
    text = json.dumps(findings, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    (case / "expected.json").write_text(text, encoding="utf-8")
