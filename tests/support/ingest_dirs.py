"""Collections laid out as playbooks/health.yml leaves them (DIR/hosts/<host>/{collected.json,
raw/stdout.bin, raw/stderr.bin}), for `diagctl ingest` tests and bench/.

The payload document is a real one: the health payload (checks gpu.inventory, gpu.driver) run
on a GPU-less Debian VM, kept in tests/fixtures/ingest/. Each host gets its own identity: the
DMI product_serial `SN<i>` (the host_id) and hostname `gpu-<i>`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from diag.artifacts import host_dirname

DOC = Path(__file__).parents[1] / "fixtures" / "ingest" / "payload_gpu_inventory_driver.json"
CHECKS = "gpu.inventory,gpu.driver"
CMD = (
    "if command -v timeout >/dev/null 2>&1; then exec timeout -s KILL 31 sh -s; else exec sh -s; fi"
)


def payload_output(serial: str, hostname: str) -> bytes:
    doc = json.loads(DOC.read_text())
    facts = json.loads(doc["captures"]["facts"]["stdout"])
    facts.update(product_serial=serial, hostname=hostname)
    doc["captures"]["facts"]["stdout"] = json.dumps(facts)
    return json.dumps(doc).encode()


def record(name: str, raw: dict[str, bytes], **kw: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "schema_version": "1.0",
        "collector": "ansible",
        "collector_version": "2.17.0",
        "kind": "health.l1",
        "host": {"name": name, "address": "10.0.0.7", "host_class": ""},
        "collected_at": "2025-01-02T03:04:05.678Z",
        "duration_ms": 1234,
        "outcome": "ok",
        "rc": 0,
        "message": "",
        "command": CMD,
        "payload_sha256": "0" * 64,
        "raw": {
            f: {"bytes": len(d), "sha256": hashlib.sha256(d).hexdigest()} for f, d in raw.items()
        },
    }
    doc.update(kw)
    return doc


def write_host(root: Path, name: str, raw: dict[str, bytes], **kw: Any) -> Path:
    hdir = root / "hosts" / host_dirname(name)
    (hdir / "raw").mkdir(parents=True)
    for fname, data in raw.items():
        (hdir / "raw" / fname).write_bytes(data)
    (hdir / "collected.json").write_text(json.dumps(record(name, raw, **kw)))
    return hdir


def write_collection(root: Path, n: int, first: int = 0) -> list[str]:
    """`n` healthy hosts gpu-<i> (host_id SN<i>); their names, sorted."""
    names = []
    for i in range(first, first + n):
        name = f"gpu-{i:04}"
        out = payload_output(f"SN{i:04}", name)
        write_host(root, name, {"stdout.bin": out, "stderr.bin": b""})
        names.append(name)
    return names
