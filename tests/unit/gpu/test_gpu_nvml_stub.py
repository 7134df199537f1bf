"""The payload's real NVML code (ctypes) against a stub libnvidia-ml compiled from C here.

A fake, because CI has no GPU; the same code ran for real on an H100 (docs/benchmarks.md,
"L1 health on the H100", tests/fixtures/gpu/h100_real). The stub exercises what a healthy H100
cannot show: a lost GPU, missing symbols, unsupported calls, and a driver whose nvmlInit never
returns.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from diag.checks import Context
from diag.checks.gpu.memory import evaluate as evaluate_memory
from diag.checks.gpu.nvlink import evaluate as evaluate_nvlink
from diag.checks.gpu.nvml import parse_nvml
from diag.checks.host.fabric_manager import evaluate as evaluate_fabric
from diag.payload import collector_source
from diag.policy import Policy
from schemas.payload import PayloadOutput
from tests.support.components import require_binaries

HERE = Path(__file__).resolve().parent


@pytest.fixture(autouse=True)
def _gcc() -> None:
    require_binaries("gcc", why="apt-get install gcc libc6-dev (builds the NVML stub library)")


def stub(tmp: Path, *flags: str) -> Path:
    lib = tmp / "libnvidia-ml-stub.so"
    subprocess.run(
        ["gcc", "-shared", "-fPIC", *flags, "-o", str(lib), str(HERE / "nvml_stub.c")],
        check=True,
        timeout=60,
    )
    return lib


def run_payload(lib: Path, deadline_s: float) -> tuple[PayloadOutput, float]:
    spec = {
        "deadline_s": deadline_s,
        "captures": [
            {"name": "nvml", "type": "nvml", "library": str(lib), "fallback": []},
            {"name": "uptime", "type": "file", "path": "/proc/uptime"},
        ],
    }
    program = collector_source() + f"\nmain(json.loads({json.dumps(json.dumps(spec))}))\n"
    t0 = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-I", "-"],
        input=program.encode(),
        capture_output=True,
        timeout=60,
        check=True,
    )
    return PayloadOutput.model_validate_json(out.stdout), time.monotonic() - t0


@pytest.mark.timeout(120)
def test_nvml_payload_on_stub(tmp_path: Path) -> None:
    doc, _ = run_payload(stub(tmp_path), 10.0)
    snap = parse_nvml(doc.captures["nvml"].stdout)
    g0, g1 = snap.gpus
    assert (snap.driver_version, snap.cuda_version, g0.bdf) == ("999.1.2", "12.4", "0000:3b:00.0")
    assert g0.clock_event_reasons == 0x4  # found through the older ThrottleReasons symbol
    assert g0.recovery_action is None and g0.unsupported["recovery_action"] == "no_symbol"
    assert g0.retired_pages_dbe is None and g0.mig_enabled is None  # not_supported → None
    assert [x.active for x in g0.nvlink or []] == [True, True, False, True]
    assert g1.lost and g1.temp_c is None and g1.remap_pending is None
    rules = Policy.load().check("gpu.memory")[1]
    mem = {
        f.entity: (f.status.value, f.action.value)
        for f in evaluate_memory(doc.captures, rules, Context())
    }
    assert mem == {"GPU-stub-0": ("fail", "reset"), "GPU-stub-1": ("fail", "reboot")}
    nv = evaluate_nvlink(doc.captures, Policy.load().check("gpu.nvlink")[1], Context())
    assert nv[0].status.value == "fail" and "3/4" in nv[0].message
    # NVLink error counters through the real ctypes call: active links only, CRC data unsupported
    assert [
        (x.link, x.replay_errors, x.crc_flit_errors, x.crc_data_errors) for x in g0.nvlink or []
    ] == [
        (0, 0, 0, None),
        (1, 5, 0, None),
        (2, None, None, None),
        (3, 0, 0, None),
    ]
    assert nv[0].message == (
        "GPU0: 3/4 NVLinks active; down: [2]; 5 NVLink replay errors since driver load (limit 1)"
    )
    # fabric through nvmlDeviceGetGpuFabricInfoV with the v2 version word
    assert (g0.fabric_state, g0.fabric_status, g0.fabric_clique_id) == ("completed", "success", 7)
    assert g1.fabric_state is None and g1.unsupported["fabric"] == "gpu_is_lost"


@pytest.mark.timeout(120)
def test_fabric_falls_back_to_the_v1_call(tmp_path: Path) -> None:
    """No nvmlDeviceGetGpuFabricInfoV symbol: the v1 struct (no version word) is read, and a
    COMPLETED state with an error status fails host.fabric_manager, the whole finding pinned."""
    doc, _ = run_payload(stub(tmp_path, "-DFABRIC_V1"), 10.0)
    g0 = parse_nvml(doc.captures["nvml"].stdout).gpus[0]
    assert (g0.fabric_state, g0.fabric_status, g0.fabric_clique_id) == (
        "completed",
        "gpu_is_lost",
        3,
    )
    rules = Policy.load().check("host.fabric_manager")[1]
    (f,) = evaluate_fabric(doc.captures, rules, Context())
    assert f.model_dump(mode="json", exclude={"threshold_source"}) == {
        "check_id": "host.fabric_manager",
        "status": "fail",
        "severity": "high",
        "entity": "nvidia-fabricmanager",
        "observed": {
            "fabric": {"GPU0": "completed/gpu_is_lost", "GPU1": "gpu_is_lost"},
            "nvswitches": 0,
            "clique_ids": [3],
        },
        "threshold": {},
        "message": "GPU0: fabric registration completed with error gpu_is_lost: check "
        "nvidia-fabricmanager's log, then reset the GPU; GPU1: fabric state gpu_is_lost",
        "action": "reset",
        "evidence": [],
    }


@pytest.mark.timeout(120)
def test_hung_driver_does_not_hang_the_payload(tmp_path: Path) -> None:
    doc, took = run_payload(stub(tmp_path, "-DHANG"), 2.0)
    assert doc.captures["nvml"].error == "timeout"
    assert doc.captures["uptime"].error is None  # the other captures still came back
    assert took < 6.0
