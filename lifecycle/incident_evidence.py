"""What an incident attaches from the host itself, read-only: the L1 findings, reset-reason's
verdict and, when asked, an L2 bundle under --out. Each becomes an evidence pointer (sha256;
the path when the file is kept). A host that cannot be reached still gets its incident: the
pointer then says what could not be collected."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from diag.transport.base import Target, Transport
from schemas.envelope import Envelope, Finding, Status
from schemas.lifecycle import EvidencePointer

if TYPE_CHECKING:
    from lifecycle.receive import Step

SSH_PYTHON = ("python3", "-I", "-")


@dataclass
class Collected:
    pointers: list[EvidencePointer] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # failing / unknown L1 findings
    l1_status: str = ""
    reset_reason: str = ""
    bundle: str = ""
    bundle_sha256: str = ""
    probe: Step | None = None  # the token probe, recorded as the `probe` step on close


def with_probe(got: Collected, probe: tuple[Step, Finding]) -> Collected:
    """`got` with a token probe's step, and its finding when it did not pass."""
    step, finding = probe
    keep = [finding] if finding.status is not Status.PASS else []
    return replace(got, probe=step, findings=[*got.findings, *keep])


def _pointer(env: Envelope, what: str, path: str = "") -> EvidencePointer:
    digest = hashlib.sha256(env.model_dump_json().encode()).hexdigest()
    note = f"{what} {env.status.value} collected {env.collected_at}"
    return EvidencePointer(kind="envelope", path=path, sha256=digest, note=note)


async def _collect(
    transport: Transport,
    t: Target,
    bundle_out: Path | None,
    timeout: float,
    checks: tuple[str, ...],
) -> Collected:
    from diag.health import options_for
    from diag.hostcheck import check_host
    from diag.payload import SH_ARGV
    from diag.reset_reason import ResetOptions, reset_host

    hopts = options_for(None, checks, timeout, 256 * 1024, t.host_class)
    hopts.command = SH_ARGV
    l1 = (await check_host(transport, t, hopts)).envelope
    rr = (
        await reset_host(transport, t, ResetOptions(timeout_s=timeout, command=SSH_PYTHON))
    ).envelope
    b = None
    if bundle_out is not None:
        from diag.bundle import bundle_host
        from diag.bundle_payload import BundleOptions
        from diag.bundle_stream import streaming

        b = await bundle_host(
            streaming(transport), t, BundleOptions(timeout_s=300.0), bundle_out, True
        )
    return collected_of(l1, rr, b)


def collected_of(l1: Envelope | None, rr: Envelope | None, b: Envelope | None) -> Collected:
    """The incident's evidence from the envelopes of its three collections (over SSH here, or
    judged by `diagctl ingest --phase incident` from a playbook's); None: not collected."""
    got = Collected()
    if l1 is not None:
        got.l1_status = l1.status.value
        got.findings = [f for f in l1.findings if f.status in (Status.FAIL, Status.UNKNOWN)]
        got.pointers.append(_pointer(l1, "health.l1"))
    if rr is not None:
        got.reset_reason = str(getattr(rr.data, "reason", "") or rr.status.value)
        got.pointers.append(_pointer(rr, f"reset_reason {got.reset_reason}"))
    if b is not None:
        got.bundle = str(getattr(b.data, "path", "") or "")
        got.bundle_sha256 = str(getattr(b.data, "sha256", "") or "")
        note = f"L2 bundle {b.status.value}" + ("" if got.bundle else ": none arrived")
        got.pointers.append(
            EvidencePointer(kind="bundle", path=got.bundle, sha256=got.bundle_sha256, note=note)
        )
    return got


def collect(
    transport: Transport,
    t: Target,
    bundle_out: Path | None,
    timeout: float,
    checks: tuple[str, ...] = (),
) -> Collected:
    async def main() -> Collected:
        try:
            return await _collect(transport, t, bundle_out, timeout, checks)
        finally:
            await transport.close()

    return asyncio.run(main())
