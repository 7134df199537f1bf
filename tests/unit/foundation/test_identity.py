"""Host identity: DMI serial, then product_uuid, then machine-id, with placeholders skipped."""

from __future__ import annotations

import pytest

from diag.health import _ref
from diag.transport.base import Target


@pytest.mark.parametrize(
    ("facts", "host_id", "source"),
    [
        (
            {"product_serial": "SN123", "product_uuid": "U-1", "machine_id": "m1"},
            "SN123",
            "product_serial",
        ),
        ({"product_serial": "", "product_uuid": "U-1", "machine_id": "m1"}, "U-1", "product_uuid"),
        (
            {"product_serial": "To be filled by O.E.M.", "product_uuid": "", "machine_id": "m1"},
            "m1",
            "machine_id",
        ),
        ({"product_serial": "Default string", "product_uuid": "None", "machine_id": ""}, "", ""),
        ({}, "", ""),
    ],
)
def test_identity_order(facts: dict[str, str], host_id: str, source: str) -> None:
    ref = _ref(Target(name="gpu-7", address="10.0.0.7"), {"hostname": "gpu7", **facts})
    assert (ref.host_id, ref.host_id_source) == (host_id, source)
    assert ref.name == "gpu-7" and ref.address == "10.0.0.7"
