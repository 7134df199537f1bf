"""The envelope of one bundled host (kind `bundle`): where the bundle is, whether it is whole,
and what was cut, failed or redacted (counts, never the secrets)."""

from __future__ import annotations

import time
from pathlib import Path

import diag
from diag.bundle_land import Landing
from diag.envelope import INTERRUPTED, bound, finalize, interrupted, utc_now
from diag.hostcheck import TRANSPORT_HINTS, failed_run
from diag.transport.base import CommandResult, Target
from schemas.bundle import BundleData, BundleEnvelope, Manifest
from schemas.envelope import ErrorCode, ErrorInfo, Finding, HostRef, Status

KIND = "bundle"
CHECK = "bundle.complete"
MAX_BYTES = 64 * 1024
CUT_SHOWN = 50  # paths of cut artifacts listed in the envelope; the manifest has them all


def _data(manifest: Manifest) -> BundleData:
    files = manifest.files
    cut = [f.path for f in files if f.truncated_bytes]
    return BundleData(
        artifacts=len(files),
        failed=sum(f.status in ("failed", "missing") for f in files),
        skipped=sum(f.status == "skipped" for f in files),
        truncated=len(cut),
        truncated_bytes=sum(f.truncated_bytes for f in files),
        redacted=sum(bool(f.redactions) for f in files),
        redactions=sum(f.redactions for f in files),
        cut=cut[:CUT_SHOWN],
        remote_path=manifest.remote_path,
        caps=manifest.caps,
    )


def _message(d: BundleData) -> str:
    return (
        f"bundle complete: {d.artifacts} artifacts, {d.bytes} bytes; {d.truncated} cut by the "
        f"caps ({d.truncated_bytes} bytes), {d.failed} failed or missing, {d.skipped} skipped, "
        f"{d.redactions} secrets masked in {d.redacted}"
    )


def bundle_envelope(
    target: Target,
    started: str,
    t0: float,
    landing: Landing,
    path: Path | None,
    manifest: Manifest | None,
    problem: str,
) -> BundleEnvelope:
    data = _data(manifest) if manifest is not None else BundleData()
    data.path = str(path or "")
    data.bytes, data.sha256 = landing.received, landing.sha.hexdigest() if landing.received else ""
    data.complete = manifest is not None and not problem
    host = HostRef(name=target.name, address=target.address)
    if manifest is not None:
        host.hostname = manifest.host.hostname
    if data.complete:
        finding = Finding(
            check_id=CHECK, status=Status.PASS, entity=data.path, message=_message(data)
        )
        errors: list[ErrorInfo] = []
    else:
        data.problem = problem
        why = f"bundle incomplete ({landing.received} bytes kept): {problem}"
        finding = Finding(check_id=CHECK, status=Status.ERROR, entity=data.path, message=why)
        errors = [
            ErrorInfo(
                code=ErrorCode.PAYLOAD_FAILED,
                message=why,
                hint="the partial file is kept as *.incomplete.tar.gz; rerun",
            )
        ]
    env = BundleEnvelope(
        kind=KIND,
        tool_version=diag.__version__,
        host=host,
        ok=False,
        status=Status.UNKNOWN,
        findings=[finding],
        errors=errors,
        collected_at=started,
        duration_ms=int((time.monotonic() - t0) * 1000),
        data=data,
    )
    return bound(finalize(env), MAX_BYTES)  # type: ignore[return-value]


def failed_envelope(target: Target, res: CommandResult, started: str, t0: float) -> BundleEnvelope:
    """A host nothing came from: unreachable, auth, host key, timeout, --out unwritable."""
    env = failed_run(target, res, started, t0)
    kind = res.error or "transport"
    data = BundleData(problem=f"{kind}: {res.message}")
    out = BundleEnvelope.model_validate(
        {**env.model_dump(exclude={"data", "kind"}), "kind": KIND, "data": data.model_dump()}
    )
    out.errors = [
        ErrorInfo(code=ErrorCode(kind), message=res.message or kind, hint=TRANSPORT_HINTS[kind])
    ]
    return bound(finalize(out), MAX_BYTES)  # type: ignore[return-value]


def interrupted_envelope(target: Target) -> BundleEnvelope:
    """Ctrl-C before this host finished: its partial file (if any) is *.incomplete.tar.gz."""
    env = BundleEnvelope(
        kind=KIND,
        tool_version=diag.__version__,
        host=HostRef(name=target.name, address=target.address),
        ok=False,
        status=Status.UNKNOWN,
        collected_at=utc_now(),
        duration_ms=0,
        data=BundleData(problem=INTERRUPTED),
    )
    finalize(env)
    return interrupted(env)
