"""Per-GPU serials in the manifest comparison, on the REAL 2-GPU H200 capture
(tests/fixtures/gpu/h200x2_real/payload_nvml.json: NVML's board serials as the machine reported
them): the host's `data.inventory` is built by the health run's own code, then compared with
manifest entries that match, miss, add or swap serials. Whole findings are pinned."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from diag.assets import host_inventory
from diag.judge import facts_of
from lifecycle import acceptance as acc
from lifecycle.gpu_serials import observed_serials
from schemas.asset import HostInventory
from schemas.envelope import Envelope, Finding, HostRef, Severity, Status
from schemas.lifecycle import Manifest, ManifestEntry
from schemas.payload import PayloadOutput
from tests.support.envelopes import envelope

REAL = Path(__file__).resolve().parents[2] / "fixtures" / "gpu" / "h200x2_real"
G0, G1 = "1654024197991", "1654024077065"  # GPU 0 and GPU 1 of the recorded H200 pair
X9_MISSING = f"GPU serial X9 listed for a is not on this host (it has {G0}, {G1})"
UNREAD = {"inventory": {"gpus": [{"index": 0, "serial": ""}, {"index": 1}]}}


def real_inventory() -> dict[str, Any]:
    out = PayloadOutput.model_validate_json((REAL / "payload_nvml.json").read_text())
    return host_inventory(facts_of(out.captures), out.captures, {}).model_dump()


def host(data: dict[str, Any]) -> Envelope:
    return envelope(host=HostRef(name="h200-a", host_id="SN-A"), status=Status.PASS, data=data)


def fail(message: str, observed: Any, threshold: Any) -> Finding:
    return Finding(
        check_id="lifecycle.manifest",
        status=Status.FAIL,
        severity=Severity.HIGH,
        entity="gpu_serials",
        message=message,
        observed=observed,
        threshold=threshold,
    )


def test_the_real_capture_carries_both_serials_by_index() -> None:
    assert observed_serials({"inventory": real_inventory()}) == [G0, G1]
    typed = SimpleNamespace(inventory=HostInventory.model_validate(real_inventory()))
    assert observed_serials(typed) == [G0, G1]  # a run in this process: HealthData's model
    assert acc.inventory_of(host({"inventory": real_inventory()})).gpu_serials == [G0, G1]


PASS = [
    Finding(
        check_id="lifecycle.manifest",
        status=Status.PASS,
        severity=Severity.INFO,
        entity="serial",
        message="matches manifest entry SN-A",
    )
]


@pytest.mark.parametrize(
    "listed,other,findings",
    [
        ([G0, G1], [], PASS),
        ([G1, G0], [], PASS),  # order is not compared: indices follow PCI enumeration
        ([], [], PASS),  # none listed: not compared
        (
            [G0],
            [],
            [fail(f"GPU serial {G1} on this host: not in the manifest; a expects {G0}", G1, [G0])],
        ),
        (
            [G0, G1, "X9"],
            [],
            [fail(X9_MISSING, [G0, G1], "X9")],
        ),
        (
            [G0, "X9"],
            [G1, "X8"],
            [
                fail(X9_MISSING, [G0, G1], "X9"),
                fail(
                    f"GPU serial {G1} on this host: the manifest lists it for b (swapped?); "
                    f"a expects {G0}, X9",
                    G1,
                    [G0, "X9"],
                ),
            ],
        ),
    ],
)  # fmt: skip
def test_gpu_serials_against_the_manifest(
    listed: list[str], other: list[str], findings: list[Finding]
) -> None:
    entry = ManifestEntry(serial="SN-A", name="a", gpu_serials=listed)
    manifest = Manifest(assets=[entry, ManifestEntry(serial="SN-B", name="b", gpu_serials=other)])
    env = host({"inventory": real_inventory()})
    assert acc.compare(env, entry, "", manifest) == findings


@pytest.mark.parametrize(
    "data,why",
    [
        ({}, "no GPU serials reported"),
        ({"inventory": None}, "no GPU serials reported"),
        (UNREAD, "2 GPU(s) reported no serial"),
    ],
)  # fmt: skip
def test_unreadable_serials_are_unknown_never_a_match(data: dict[str, Any], why: str) -> None:
    entry = ManifestEntry(serial="SN-A", gpu_serials=[G0])
    assert acc.compare(host(data), entry, "", Manifest(assets=[entry])) == [
        Finding(
            check_id="lifecycle.manifest",
            status=Status.UNKNOWN,
            severity=Severity.MEDIUM,
            entity="gpu_serials",
            message=f"GPU serials: not readable on the host ({why}), manifest lists 1",
            threshold=[G0],
        )
    ]
