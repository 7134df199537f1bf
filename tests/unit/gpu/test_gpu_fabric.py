"""The NVLink fabric verdict and NVLink counters over the REAL 2-GPU H200 captures
(tests/fixtures/gpu/h200x2_real, scrubbed): the state x status boundary table, the nvidia-smi XML
fabric block as the machine printed it, and the whole host under a 324 GB/s NCCL all-reduce
judged by every registered check with no false positive."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from diag.checks import REGISTRY, Context
from diag.checks.gpu.fabric_state import judge_fabric
from diag.checks.gpu.nvml import parse_nvml
from diag.checks.gpu.smi import parse_xml
from diag.hostcheck import HealthOptions, run_checks
from diag.policy import Policy
from schemas.envelope import Action, Status
from schemas.gpu import FabricState
from schemas.payload import PayloadOutput

REAL = Path(__file__).resolve().parents[2] / "fixtures" / "gpu" / "h200x2_real"


@pytest.mark.parametrize(
    "state,status,needs,want",
    [
        ("completed", "success", True, (Status.PASS, Action.NONE)),
        ("completed", "success", False, (Status.PASS, Action.NONE)),
        ("completed", "timeout", True, (Status.FAIL, Action.RESET)),
        ("completed", "not_supported", False, (Status.FAIL, Action.RESET)),
        ("completed", None, True, (Status.FAIL, Action.RESET)),
        ("completed", "", True, (Status.FAIL, Action.RESET)),
        ("in_progress", "not_supported", True, (Status.WARN, Action.MONITOR)),
        ("in_progress", "success", False, (Status.WARN, Action.MONITOR)),
        ("not_started", "not_supported", True, (Status.FAIL, Action.RESET)),
        ("not_started", "not_supported", False, (Status.WARN, Action.MONITOR)),
        ("not_supported", "not_supported", True, (Status.NOT_APPLICABLE, Action.NONE)),
        ("not_supported", "success", False, (Status.NOT_APPLICABLE, Action.NONE)),
    ],
)
def test_fabric_state_status_table(
    state: FabricState, status: str | None, needs: bool, want: tuple[Status, Action]
) -> None:
    assert judge_fabric(state, status, needs)[:2] == want


def test_real_smi_xml_fabric_block() -> None:
    snap = parse_xml((REAL / "smi.xml").read_text())
    assert [(g.name, g.fabric_state, g.fabric_status, g.fabric_clique_id) for g in snap.gpus] == [
        ("NVIDIA H200", "completed", "success", 0),
        ("NVIDIA H200", "completed", "success", 0),
    ]


def test_unknown_nvml_fabric_state_is_an_error_not_a_pass() -> None:
    doc = json.loads(
        PayloadOutput.model_validate_json((REAL / "payload.json").read_text())
        .captures["nvml"]
        .stdout
    )
    doc["gpus"][0]["fabric"] = {"state": 9, "status": "success", "clique_id": 0}
    with pytest.raises(ValueError, match="unknown NVML fabric state 9"):
        parse_nvml(json.dumps(doc))


def test_payload_without_fabric_or_counters_reads_as_not_reported() -> None:
    """The recorded payload predates the fabric and counter reads: None, never 0 or a pass."""
    out = PayloadOutput.model_validate_json((REAL / "payload.json").read_text())
    g0 = parse_nvml(out.captures["nvml"].stdout).gpus[0]
    assert (g0.fabric_state, g0.fabric_status, len(g0.nvlink or [])) == (None, None, 18)
    assert {x.replay_errors for x in g0.nvlink or []} == {None}


@pytest.mark.parametrize("payload", ["payload.json", "payload_load.json"])
def test_whole_real_host_no_false_positive(payload: str) -> None:
    """Every registered check over the real host, idle and under the NCCL load: the only
    findings that are not pass are the VM's own (no systemctl, kernel clock unsynchronised)."""
    out = PayloadOutput.model_validate_json((REAL / payload).read_text())
    opts = HealthOptions(policy=Policy.load(), checks=list(REGISTRY.values()))
    findings, _runs, errors = run_checks(
        out.captures, opts, Context(cpu_count=32, extra={"expect_gpus": 2})
    )
    assert errors == []
    odd = sorted(
        (f.check_id, f.status.value, f.message)
        for f in findings
        if f.status not in (Status.PASS, Status.NOT_APPLICABLE)
    )
    assert odd == [
        ("host.clock_sync", "warn", "kernel clock is not synchronised (STA_UNSYNC/TIME_ERROR)"),
        (
            "host.systemd_failed",
            "unknown",
            "cannot judge: systemctl list-units --state=failed --no-legend --plain --no-pager: "
            "missing ([Errno 2] No such file or directory: 'systemctl')",
        ),
    ]
    per_gpu = ("gpu.memory", "gpu.nvlink", "gpu.pcie", "gpu.throttle")
    want = [(c, "gpus") for c in ("gpu.driver", "gpu.inventory", "gpu.xid")]
    want += [(c, f"GPU-0000000{n}-0000-4000-8000-00000000000{n}") for c in per_gpu for n in (1, 2)]
    want += [("host.fabric_manager", "nvidia-fabricmanager")]
    judged = sorted(
        (f.check_id, f.entity)
        for f in findings
        if f.check_id.startswith(("gpu.", "host.fabric")) and f.status is not Status.UNKNOWN
    )
    assert judged == sorted(want)
