"""`diagctl lifecycle retire HOST -H/-i`: retire a host that is still reachable.

In order: the gate is checked first (nothing is touched for an asset that may not retire);
the node's drain passes the blast-radius breaker, goes through the probes' backend with the
owned-reason prefix (`diagctl: retire: REASON`; a human's drain is never claimed) and is
audited; the asset moves to retire; a final L2 bundle is taken as evidence (path + sha256);
each disk's sanitisation support is detected read-only. Without `act` the drain, the move and
the bundle are planned only, and the detection (read-only) runs but is not recorded.
diagctl never erases a disk: the operator does, and attests it with `retire --method`.
"""

from __future__ import annotations

import asyncio

from diag.exitcodes import Exit
from lifecycle import retire_report as rr
from lifecycle.erase_detect import detect
from lifecycle.moves import move_if_gate
from lifecycle.retire_args import RetireRun
from schemas.lifecycle import EvidencePointer
from schemas.lifecycle_retire import RetireData, RetireEnvelope


def run(r: RetireRun) -> tuple[RetireEnvelope, Exit]:
    async def main() -> tuple[RetireEnvelope, Exit]:
        try:
            return await _run(r)
        finally:
            await r.transport.close()

    return asyncio.run(main())


async def _run(r: RetireRun) -> tuple[RetireEnvelope, Exit]:
    data = RetireData(node=r.node)
    if not r.act:
        for step in ("drain", "retire", "bundle"):
            skip = step == "bundle" and r.bundle_out is None
            data.steps.append(rr.step(step, "skipped" if skip else "planned"))
        await _detect(r, data, record=False)
        return rr.envelope(r, data), Exit.OK
    if not _drain(r, data):
        return rr.envelope(r, data), Exit.BREAKER if data.outcome == "breaker" else Exit.FINDINGS
    moved, _missing = move_if_gate(
        r.registry, r.target.name, "retire", r.who, f"retire: {r.reason}", list(r.pointers)
    )
    data.steps.append(rr.step("retire", "done", "moved to retire" if moved else "already retired"))
    if r.bundle_out is not None:
        await _bundle(r, data)
    await _detect(r, data, record=True)
    data.outcome = "retired"
    data.phase = r.registry.get(r.target.name).phase
    env = rr.envelope(r, data)
    return env, Exit.FINDINGS if env.summary.fail else Exit.OK


def _drain(r: RetireRun, data: RetireData) -> bool:
    """Breaker, then the backend's drain, audited and recorded; False: stop here."""
    assert r.backend is not None and r.audit_path is not None
    if r.breaker is not None:
        g = r.breaker.admit([r.node])
        if g.tripped:
            rr.breaker_audit(r, g)
            data.steps.append(rr.step("drain", "failed", rr.tripped(g)))
            data.outcome = "breaker"
            return False
    out = r.backend.cordon(r.node, f"retire: {r.reason}")
    if r.breaker is not None:
        r.breaker.release([r.node])  # a retired node leaves the fleet; it counts in the window
    done = rr.audit_drain(r, out)
    data.steps.append(rr.step("drain", "done" if done else "failed", out.message))
    r.registry.record(
        r.registry.get(r.target.name).host_id,
        "retire_drain",
        "pass" if done else "fail",
        r.who,
        out.message[:400],
        r.pointers[-1:],
    )
    if not done:
        data.outcome = "failed"
    return done


async def _bundle(r: RetireRun, data: RetireData) -> None:
    from diag.bundle import bundle_host
    from diag.bundle_payload import BundleOptions
    from diag.bundle_stream import streaming

    assert r.bundle_out is not None
    b = await bundle_host(
        streaming(r.transport), r.target, BundleOptions(timeout_s=300.0), r.bundle_out, True
    )
    data.bundle = str(getattr(b.data, "path", "") or "")
    data.bundle_sha256 = str(getattr(b.data, "sha256", "") or "")
    good = bool(data.bundle and data.bundle_sha256) and b.status.value != "error"
    note = f"final L2 bundle {b.status.value}" + ("" if data.bundle else ": none arrived")
    ptr = EvidencePointer(kind="bundle", path=data.bundle, sha256=data.bundle_sha256, note=note)
    host_id = r.registry.get(r.target.name).host_id
    r.registry.record(host_id, "retire_bundle", "pass" if good else "fail", r.who, note, [ptr])
    data.steps.append(rr.step("bundle", "done" if good else "failed", note))


async def _detect(r: RetireRun, data: RetireData, record: bool) -> None:
    data.devices, problem = await detect(r.transport, r.target, r.timeout_s)
    msg = problem or f"{len(data.devices)} disk(s)"
    data.steps.append(rr.step("detect", "failed" if problem and not data.devices else "done", msg))
    if record:
        rr.record_detection(r, data.devices, problem)
