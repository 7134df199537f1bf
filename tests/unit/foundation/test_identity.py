"""Host identity: DMI serial, then product_uuid, then machine-id, with placeholders skipped."""

from __future__ import annotations

import pytest

from diag.hostcheck import _ref
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


def test_unreachable_envelope_keeps_host_class_and_hint() -> None:
    import asyncio
    from collections.abc import Sequence

    from diag.hostcheck import HealthOptions, check_host
    from diag.policy import Policy
    from diag.transport.base import CommandResult

    class Down:
        """A transport whose host never answers (the SSH transports return this on timeout)."""

        name = "down"

        async def run(
            self, host: Target, command: Sequence[str], stdin: bytes, timeout: float
        ) -> CommandResult:
            return CommandResult(None, error="timeout", message="connect timed out after 3 s")

        async def close(self) -> None:
            return None

    target = Target(name="gpu-9", address="10.0.0.9", host_class="dgx-h100")
    run = asyncio.run(check_host(Down(), target, HealthOptions(policy=Policy.load())))
    env = run.envelope
    assert env.status.value == "unreachable" and not env.ok
    assert env.errors[0].code.value == "timeout" and "--timeout" in env.errors[0].hint
    assert env.model_dump()["data"]["host_class"] == "dgx-h100"
    assert env.host.address == "10.0.0.9" and run.raw == {}
