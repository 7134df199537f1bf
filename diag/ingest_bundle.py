"""`diagctl ingest` of playbooks/bundle.yml: land each host's fetched tar stream exactly as
`diagctl bundle` lands one arriving over SSH.

The playbook keeps the host's stdout (the tar.gz stream, redacted on the host) as
DIR/hosts/<enc>/raw/stdout.bin and lists its size and sha256 in collected.json. Ingest copies
those bytes through the same `Landing` (`.partial`, the stream cap), verifies them against the
bundle's own manifest, and renames the file `bundle-<ts>.tar.gz` only when every member
matches; anything else is `bundle-<ts>.incomplete.tar.gz` under --out, kept as evidence. A
fetch that stopped early (a record missing, a raw file shorter than listed) stays incomplete.
`<ts>` is when the collector started, so re-ingesting the same directory names the same file.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from diag.artifacts import host_dir
from diag.bundle import BundleResult, _problem
from diag.bundle_land import Landing
from diag.bundle_payload import BundleOptions
from diag.bundle_report import bundle_envelope, failed_envelope
from diag.bundle_stream import StopStream
from diag.envelope import utc_now
from diag.exitcodes import exit_code
from diag.ingest import Collected, classify
from diag.transport.base import CommandResult, Target
from schemas.envelope import Envelope

CHUNK = 1 << 20


def stamp_of(collected_at: str) -> str:
    """`bundle-<ts>` of the collection's start (UTC), as `diagctl bundle` names its file."""
    try:
        at = datetime.fromisoformat(collected_at.replace("Z", "+00:00"))
    except ValueError:
        return "unknown-time"
    return at.strftime("%Y%m%dT%H%M%SZ")


def _copy(src: Path, landing: Landing) -> str:
    """Feed the fetched stream to the landing in chunks; why it stopped early, else ''."""
    try:
        with src.open("rb") as fh:
            for chunk in iter(lambda: fh.read(CHUNK), b""):
                landing.write(chunk)
    except StopStream as exc:
        return str(exc)
    except OSError as exc:
        return f"cannot read {src}: {exc.strerror or exc}"
    return ""


def land_one(c: Collected, out: Path, opts: BundleOptions) -> Envelope:
    """One host directory -> one `bundle` envelope; never raises for a host's problem."""
    t0 = time.monotonic()
    rec = c.record
    target = Target(name=c.name, address=rec.host.address if rec else "")
    started = rec.collected_at if rec else utc_now()
    raw = c.hdir / "raw" / "stdout.bin"
    if rec is not None and "stdout.bin" not in rec.raw:
        msg = rec.message or f"the collector reported {rec.outcome} and kept no output"
        res = CommandResult(None, error=classify(msg), message=f"(ansible) {msg}")
        return failed_envelope(target, res, started, t0)
    if not raw.is_file():
        res = CommandResult(None, error="transport", message=c.problem or "no raw/stdout.bin")
        return failed_envelope(target, res, started, t0)
    landing = Landing(host_dir(out, c.name), stamp_of(started), opts.stream_limit)
    try:
        landing.open()
    except OSError as exc:
        res = CommandResult(None, error="transport", message=f"--out: {exc.strerror or exc}")
        return failed_envelope(target, res, started, t0)
    stopped = _copy(raw, landing)
    if rec is not None:
        err = c.hdir / "raw" / "stderr.bin"
        stderr = err.read_bytes() if err.is_file() else b""
        said = _problem(CommandResult(rec.rc, b"", stderr))
    else:
        said = ""
    problem = c.problem or stopped or said
    path, manifest, problem = landing.seal(problem)
    return bundle_envelope(target, started, t0, landing, path, manifest, problem)


def ingest_bundles(
    hosts: dict[str, Collected],
    out: Path,
    emit: Callable[[Envelope], None],
    opts: BundleOptions | None = None,
) -> BundleResult:
    """Every host directory, in name order: land, write DIR/hosts/<enc>/envelope.json, emit."""
    from diag.artifacts import write_host
    from diag.session import write_run_summary

    opts = opts or BundleOptions()
    started, t0 = utc_now(), time.monotonic()
    envelopes: list[Envelope] = []
    warnings: list[str] = []
    for name, c in hosts.items():
        env = land_one(c, out, opts)
        try:
            write_host(out, name, env.model_dump_json(), {})
        except (OSError, ValueError) as exc:
            warnings.append(f"{name}: cannot write its envelope: {exc}")
        envelopes.append(env)
        emit(env)
    code = exit_code(envelopes, False)
    warnings += write_run_summary(out, envelopes, code, False, started, t0)
    return BundleResult(envelopes, code, False, warnings)
