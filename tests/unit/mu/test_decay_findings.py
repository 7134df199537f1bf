"""Capacity decay from recorded probe envelopes (boundary table on the threshold), and the
report findings that need a time series: spikes, over-capacity, over-reservation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from diag.cli import cli
from schemas.envelope import HostRef, Status
from schemas.probe import ProbeData, ProbeEnvelope, Timings
from tests.unit.mu.report_support import FIXTURES, report

# llama-8b × h100: a_out 0.0005 MU/token, capacity 2 MU/s -> one token per 0.25 ms at 100%
A_OUT, CAPACITY = 0.0005, 2.0


def _probe(node: str, tokens: int, decode_ms: float, model: str = "llama-8b") -> str:
    tm = Timings(
        http_status=200, connect_ms=1.0, ttft_ms=20.0, e2e_ms=21.0 + decode_ms, tokens=tokens
    )
    env = ProbeEnvelope(
        kind="probe.result",
        tool_version="0",
        host=HostRef(name=node),
        ok=True,
        status=Status.PASS,
        collected_at="2026-12-01T00:00:00Z",
        duration_ms=1,
        data=ProbeData(target=node, model=model, node=node, timings=tm),
    )
    return env.model_dump_json()


@pytest.mark.parametrize(
    "ratio,status,code",
    [(0.81, "pass", 0), (0.8, "pass", 0), (0.79, "warn", 6), (1.5, "pass", 0)],
)
def test_decay_threshold_boundary(tmp_path: Path, ratio: float, status: str, code: int) -> None:
    # 101 tokens = 100 gaps; MU = 100 × a_out = 0.05; seconds = 0.05 / (ratio × capacity)
    decode_ms = 0.05 / (ratio * CAPACITY) * 1000
    src = tmp_path / "probes.jsonl"
    src.write_text(_probe("gpu-1", 101, decode_ms) + "\nnot json\n")
    res = CliRunner().invoke(
        cli,
        [
            "mu",
            "decay",
            "--probes",
            str(src),
            "--hardware",
            "h100",
            "--calibration",
            str(FIXTURES / "calibration.yaml"),
            "--json",
        ],
    )
    assert res.exit_code == code, res.output
    assert res.stderr == f"diagctl: {src}: 1 lines were not usable probe results\n"
    env = json.loads(res.stdout)
    assert env["status"] == status
    assert env["data"]["nodes"] == [
        {
            "node": "gpu-1",
            "model": "llama-8b",
            "hardware": "h100",
            "samples": 1,
            "measured_mu_per_s": round(ratio * CAPACITY, 6),
            "calibrated_mu_per_s": CAPACITY,
            "ratio": round(ratio, 4),
        }
    ]
    below = " (below 80%: capacity decay)" if status == "warn" else ""
    assert env["findings"][0]["message"] == (
        f"gpu-1 delivers {ratio * CAPACITY:.4g} MU/s, {ratio:.0%} of its calibrated 2 MU/s{below}"
    )


def test_decay_without_calibration_is_unknown_with_the_reason(tmp_path: Path) -> None:
    src = tmp_path / "probes.jsonl"
    src.write_text(_probe("gpu-9", 11, 50.0, model="qwen") + "\n")
    res = CliRunner().invoke(
        cli,
        [
            "mu",
            "decay",
            "--probes",
            str(src),
            "--hardware",
            "h100",
            "--calibration",
            str(FIXTURES / "calibration.yaml"),
            "--json",
        ],
    )
    env = json.loads(res.stdout)
    assert (res.exit_code, env["status"]) == (0, "unknown")
    assert env["findings"][0]["message"] == (
        f"cannot judge: no calibration for qwen × h100 in {FIXTURES / 'calibration.yaml'}"
    )


def _series(tmp_path: Path, per_hour: list[int]) -> Path:
    """`per_hour[i]` identical requests of tenant acme in hour i (1000 in, 100 out: 0.15 MU)."""
    f = tmp_path / "u.jsonl"
    lines = []
    for hour, n in enumerate(per_hour):
        for i in range(n):
            lines.append(
                json.dumps(
                    {
                        "request_id": f"h{hour}-{i}",
                        "timestamp": f"2026-12-01T{hour:02d}:10:00Z",
                        "tenant": "acme",
                        "model": "llama-8b",
                        "node": "gpu-1",
                        "hardware": "h100",
                        "usage": {"prompt_tokens": 1000, "completion_tokens": 100},
                    }
                )
            )
    f.write_text("\n".join(lines) + "\n")
    return f


@pytest.mark.parametrize("spike,flagged", [(6, False), (7, True)])
def test_spike_is_strictly_over_three_times_the_median(
    tmp_path: Path, spike: int, flagged: bool
) -> None:
    got = report(_series(tmp_path, [2, 2, 2, spike]), bucket="1h")
    spikes = [f for f in got["findings"] if f["check_id"] == "mu.spike"]
    if not flagged:
        assert spikes == []
        return
    assert [f["message"] for f in spikes] == [
        f"tenant=acme: {spike * 0.15:.4g} MU in the bucket at 2026-12-01T03:00:00Z, over 3× the "
        "median bucket (0.3 MU)"
    ]


def test_no_spike_below_four_buckets(tmp_path: Path) -> None:
    got = report(_series(tmp_path, [1, 1, 50]), bucket="1h")
    assert [f["check_id"] for f in got["findings"]] == ["mu.report"]


def test_over_capacity_and_over_reservation(tmp_path: Path) -> None:
    """Bucket 1 min: capacity 2 MU/s × 60 s = 120 MU; 1000 requests × 0.15 MU = 150 MU."""
    got = report(_series(tmp_path, [1000]), bucket="1min", reservations=True)
    by_check = {f["check_id"]: f for f in got["findings"]}
    assert by_check["mu.over_capacity"]["message"] == (
        "utilisation 125% of calibrated capacity in the bucket at 2026-12-01T00:10:00Z: the "
        "calibration is stale or capacity_mu_per_s is wrong"
    )
    assert by_check["mu.over_reservation"]["message"] == (
        "tenant 'acme' peaked at 2.5 MU/s, above its reservation of 0.0001 MU/s"
    )
    (g,) = got["data"]["groups"]
    assert (g["capacity_mu"], g["utilisation"], g["headroom_mu"]) == (120.0, 1.25, -30.0)
