"""Recorded GPU hosts for `health --replay ... --act` tests: DIR/<host>/raw/payload.json built
from the recorded payloads under tests/fixtures/gpu (real nvidia-smi/NVML captures)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

GPU = Path(__file__).resolve().parents[1] / "fixtures" / "gpu"
CLI = [sys.executable, "-m", "diag.cli"]
# case → (status, action) of its gpu.memory / gpu.xid finding (tests/unit/gpu/test_gpu_cli.py)
PASSING = "h100_real"  # gpu.memory pass
RESET = "remap_pending"  # gpu.memory fail, action reset
REBOOT = "xid79_fallen_off_bus"  # gpu.xid fail, action reboot


def record(root: Path, hosts: dict[str, str]) -> Path:
    """Write (or rewrite) each host's recorded payload; returns the --replay directory."""
    for host, case in hosts.items():
        raw = root / host / "raw"
        raw.mkdir(parents=True, exist_ok=True)
        doc = json.loads((GPU / case / "payload.json").read_text())
        (raw / "payload.json").write_text(json.dumps(doc))  # one line, as the payload prints it
    return root


def health_act(
    replay: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`diagctl health --replay DIR --check gpu.memory,gpu.xid --expect-gpus 1 ARGS`."""
    cmd = [*CLI, "health", "--replay", str(replay), "--check", "gpu.memory,gpu.xid",
           "--expect-gpus", "1", *args]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
