"""Envelopes the CMDB tests export: inventory built by diag.assets from a recorded H100 payload
(tests/fixtures/gpu/h100_real, scrubbed), with DMI facts added (that recording predates them)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from diag.assets import host_inventory
from diag.hostcheck import facts_of
from schemas.envelope import Envelope, HostRef, Status
from schemas.payload import PayloadOutput
from tests.support.envelopes import envelope

H100 = Path(__file__).parents[2] / "fixtures" / "gpu" / "h100_real" / "payload.json"
DMI = {
    "sys_vendor": "Supermicro",
    "product_name": "SYS-821GE-TNHR",
    "product_serial": "S4211234567",
    "product_uuid": "00000000-0000-4000-8000-0000000000aa",
    "board_serial": "To be filled by O.E.M.",
    "bios_version": "2.1a",
}
HOSTILE = '=HYPERLINK("http://x")\x1b[31m<script>alert(1)</script>'


def h100_inventory(extra_facts: dict[str, str] | None = None) -> dict[str, Any]:
    doc = PayloadOutput.model_validate_json(H100.read_text())
    facts = {**facts_of(doc.captures), **(DMI if extra_facts is None else extra_facts)}
    return host_inventory(facts, doc.captures, None).model_dump(mode="json")


def health(name: str, status: Status, data: dict[str, Any], **host: str) -> Envelope:
    return envelope(
        host=HostRef(name=name, **host),
        status=status,
        ok=status == Status.PASS,
        data=data,
        collected_at="2026-11-30T01:02:03.000Z",
    )


def fleet() -> list[Envelope]:
    """A GPU host, a hostile-named host without GPUs, an unreachable host, and lifecycle and
    Model-Unit envelopes for the GPU host."""
    facts = {"os_pretty_name": "Ubuntu 24.04.3 LTS", "kernel": "6.8.0-49-generic", "cpu_count": 16}
    gpu = health(
        "gpu-node-1",
        Status.WARN,
        {"facts": facts, "inventory": h100_inventory()},
        address="10.0.0.7",
        hostname="gpu-node-1.dc1",
        host_id="S4211234567",
        host_id_source="product_serial",
    )
    cpu_inv = {"system_vendor": "Dell Inc.", "product_name": "PowerEdge R650", "gpus": []}
    hostile = health(HOSTILE, Status.PASS, {"facts": {}, "inventory": cpu_inv})
    down = health("gpu-node-9", Status.UNREACHABLE, {})
    phase = envelope(
        kind="lifecycle.phase", host=HostRef(name="gpu-node-1"), data={"phase": "production"}
    )
    mu = envelope(kind="mu.capacity", host=HostRef(name="gpu-node-1"), data={"mu_per_s": 41.5})
    return [gpu, hostile, down, phase, mu]


def jsonl(envs: list[Envelope]) -> str:
    return "".join(json.dumps(e.model_dump(mode="json")) + "\n" for e in envs)
