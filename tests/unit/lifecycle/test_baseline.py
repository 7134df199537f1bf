"""Baseline conformance: version matching at its boundaries, and whole findings."""

from __future__ import annotations

import pytest

from lifecycle.baseline import conformance, matches, snapshot
from schemas.airgap import Baseline
from schemas.envelope import Finding, Severity, Status
from schemas.lifecycle import Inventory


@pytest.mark.parametrize(
    "expected,observed,ok",
    [
        ("550", "550", True),
        ("550", "550.54.15", True),
        ("550.54", "550.54.15", True),
        ("550", "5500.1", False),
        ("550.5", "550.54.15", False),
        ("6.1.0-18", "6.1.0-18-amd64", True),
        ("6.1.0-1", "6.1.0-18-amd64", False),
        ("12.4", "12.4+cuda", True),
        ("1.0", "1.0~rc1", True),
        ("550.54.15", "550", False),
    ],
)
def test_matches(expected: str, observed: str, ok: bool) -> None:
    assert matches(expected, observed) is ok


def test_conformance_whole_findings() -> None:
    base = Baseline(driver="550", cuda="12.4", vbios="96.00.99", kernel="6.1.0-18")
    inv = Inventory(driver="535.104.05", cuda="", vbios=["96.00.99.00.01", "96.00.98.00.01"],
                    kernel="6.1.0-18-amd64")  # fmt: skip
    f = conformance(base, inv)
    assert f == [
        Finding(check_id="lifecycle.baseline", status=Status.FAIL, severity=Severity.HIGH,
                entity="driver", message="driver 535.104.05, baseline 550",
                observed=["535.104.05"], threshold="550"),
        Finding(check_id="lifecycle.baseline", status=Status.UNKNOWN, severity=Severity.MEDIUM,
                entity="cuda", message="cuda: not reported by the host, baseline 12.4",
                observed=[], threshold="12.4"),
        Finding(check_id="lifecycle.baseline", status=Status.FAIL, severity=Severity.HIGH,
                entity="vbios", message="vbios 96.00.98.00.01, baseline 96.00.99",
                observed=["96.00.99.00.01", "96.00.98.00.01"], threshold="96.00.99"),
        Finding(check_id="lifecycle.baseline", status=Status.PASS, severity=Severity.INFO,
                entity="kernel", message="kernel 6.1.0-18-amd64 matches baseline 6.1.0-18",
                observed=["6.1.0-18-amd64"], threshold="6.1.0-18"),
    ]  # fmt: skip
    assert conformance(Baseline(), inv) == []


def test_snapshot_then_drift() -> None:
    inv = Inventory(driver="550.54.15", cuda="12.4", vbios=["96.00.99.00.01"], kernel="6.1.0-18")
    held = snapshot(inv)
    assert held == Baseline(
        driver="550.54.15", cuda="12.4", vbios="96.00.99.00.01", kernel="6.1.0-18"
    )
    later = inv.model_copy(update={"driver": "550.90.07"})
    drift = conformance(held, later, "lifecycle.drift")
    assert [(x.entity, x.status, x.message) for x in drift if x.status is not Status.PASS] == [
        ("driver", Status.FAIL, "driver 550.90.07, baseline 550.54.15")
    ]
