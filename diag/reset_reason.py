"""`diagctl reset-reason` as a library: one host (payload out, captures back, the verdict and
timeline, one bounded envelope) and a run over many hosts. No click, no printing."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

import diag
from diag.envelope import INTERRUPTED, bound, finalize, interrupted, utc_now
from diag.errors import UsageError
from diag.exitcodes import DEFAULT_POLICY, Exit, ExitPolicy, exit_code
from diag.fleet.args import FleetArgs
from diag.payload import PYTHON_ARGV, payload_deadline
from diag.reset.correlate import Thresholds
from diag.reset.judge import DEFAULT_SINCE_S, facts_hostname, judge_fields
from diag.reset.sources import payload_for
from diag.transport.base import CommandResult, Target, Transport
from diag.transport.replay import ReplayTransport
from schemas.envelope import Envelope, ErrorCode, ErrorInfo, Finding, HostRef, Replayed, Status
from schemas.payload import Capture, PayloadOutput
from schemas.reset import ResetData, ResetEnvelope

KIND = "reset_reason"


@dataclass
class HostRun:
    """What one host produced: its envelope and the raw bytes worth keeping (--out)."""

    envelope: Envelope
    raw: dict[str, bytes]


@dataclass
class ResetResult:
    envelopes: list[Envelope]
    exit: Exit
    interrupted: bool
    warnings: list[str] = field(default_factory=list)


@dataclass
class ResetOptions:
    since_s: int = DEFAULT_SINCE_S
    timeout_s: float = 30.0
    max_bytes: int = 64 * 1024
    thresholds: Thresholds = field(default_factory=Thresholds)
    command: tuple[str, ...] = PYTHON_ARGV


def parse_payload(stdout: bytes) -> tuple[PayloadOutput, bytes]:
    """The payload's last JSON line (login banners or motd may precede it), and that line."""
    lines = [ln for ln in stdout.splitlines() if ln.startswith(b"{")]
    if not lines:
        raise ValueError("payload printed no JSON document")
    return PayloadOutput.model_validate_json(lines[-1].decode("utf-8", "replace")), lines[-1]


def _envelope(target: Target, started: str, t0: float, **kw: object) -> ResetEnvelope:
    return ResetEnvelope.model_validate(
        {
            "kind": KIND,
            "tool_version": diag.__version__,
            "host": HostRef(name=target.name, address=target.address),
            "ok": False,
            "status": Status.UNKNOWN,
            "collected_at": started,
            "duration_ms": int((time.monotonic() - t0) * 1000),
            **kw,
        }
    )


def judge_captures(
    caps: Mapping[str, Capture], opts: ResetOptions
) -> tuple[ResetData, list[Finding]]:
    """Captures -> the envelope's data and findings (pure; the fixtures test exactly this)."""
    fields, findings = judge_fields(caps, opts.since_s, opts.thresholds)
    return ResetData(**fields), findings


def _failed(target: Target, res: CommandResult, started: str, t0: float) -> ResetEnvelope:
    from diag.hostcheck import TRANSPORT_HINTS

    kind = res.error or "transport"
    err = ErrorInfo(code=ErrorCode(kind), message=res.message or kind, hint=TRANSPORT_HINTS[kind])
    status = Status.ERROR if kind == "transport" else Status.UNREACHABLE
    return _envelope(target, started, t0, status=status, errors=[err])


async def reset_host(transport: Transport, target: Target, opts: ResetOptions) -> HostRun:
    """Never raises for a host problem: every outcome is an envelope."""
    started, t0 = utc_now(), time.monotonic()
    marker: Replayed | None = None
    if isinstance(transport, ReplayTransport):
        started, marker = transport.provenance(target.name, started)

    def done(env: ResetEnvelope, raw: dict[str, bytes]) -> HostRun:
        env.replayed = marker
        return HostRun(bound(finalize(env), opts.max_bytes), raw)

    payload = payload_for(opts.command, opts.since_s, payload_deadline(opts.timeout_s))
    res = await transport.run(target, opts.command, payload, opts.timeout_s)
    # `--local` may have started this payload before the host's turn (diag/payload/early.py).
    t0 = min(t0, getattr(transport, "adopted_t0", None) or t0)
    if res.error:
        return done(_failed(target, res, started, t0), {})
    try:
        doc, line = parse_payload(res.stdout)
    except (ValueError, ValidationError) as exc:
        err = ErrorInfo(
            code=ErrorCode.PAYLOAD_FAILED,
            message=f"exit {res.exit_code}: {str(exc).splitlines()[0][:300]}",
            hint=res.stderr.decode("utf-8", "replace")[-300:].strip()
            or "does the host have python3 (3.8+)?",
        )
        env = _envelope(target, started, t0, status=Status.ERROR, errors=[err])
        return done(env, {"stdout.bin": res.stdout[: 4 << 20], "stderr.bin": res.stderr[: 1 << 20]})
    data, findings = judge_captures(doc.captures, opts)
    data.payload_ms = doc.duration_ms
    env = _envelope(target, started, t0, findings=findings, data=data)
    env.host.hostname = facts_hostname(doc.captures)
    env.truncated.captures = {
        k: c.truncated_bytes for k, c in doc.captures.items() if c.truncated_bytes
    }
    return done(env, {"payload.json": line + b"\n"})


def interrupted_run(target: Target) -> HostRun:
    """The envelope of a host that Ctrl-C or SIGTERM stopped before it finished."""
    res = CommandResult(None, error="transport", message=INTERRUPTED)
    return HostRun(interrupted(finalize(_failed(target, res, utc_now(), time.monotonic()))), {})


def run_reset(
    targets: Sequence[Target],
    transport: Transport,
    opts: ResetOptions,
    emit: Callable[[ResetEnvelope], None],
    out: Path | None = None,
    forks: int = 64,
    exits: ExitPolicy = DEFAULT_POLICY,
) -> ResetResult:
    """reset-reason on every target, `emit` each envelope as it finishes, keep --out artifacts."""
    from diag.artifacts import write_host

    started, t0 = utc_now(), time.monotonic()

    async def job(target: Target) -> HostRun:
        t1, at = utc_now(), time.monotonic()
        try:
            return await reset_host(transport, target, opts)
        except Exception as exc:  # one host's bug must not end the run for every other host
            from diag.session import crashed_run

            crashed = crashed_run(target, exc, t1, at, opts.max_bytes)
            run = HostRun(crashed.envelope, crashed.raw)
            run.envelope.kind = KIND
            return run

    warnings: list[str] = []

    def on_result(target: Target, run: HostRun) -> None:
        if out is not None:
            try:
                write_host(out, target.name, run.envelope.model_dump_json(), run.raw)
            except OSError as exc:
                warnings.append(f"--out {out}: {exc.strerror or exc} (host {target.name})")
        emit(run.envelope)  # type: ignore[arg-type]

    async def main() -> tuple[list[HostRun], bool]:
        from diag.fleet.fanout import run_fleet

        try:
            outcome = await run_fleet(targets, job, forks, on_result, interrupted_run)
        finally:
            await transport.close()
        return outcome.runs, outcome.interrupted

    if len(targets) == 1 and getattr(transport, "blocking", False):  # --local: no asyncio
        from diag.fleet.blocking import run_one

        runs, was_interrupted = run_one(targets[0], transport, job, on_result, interrupted_run)
    else:
        import asyncio

        runs, was_interrupted = asyncio.run(main())
    envelopes = [r.envelope for r in runs]
    code = exit_code(envelopes, was_interrupted, exits)
    if out is not None:
        from diag.session import write_run_summary

        warnings += write_run_summary(out, envelopes, code, was_interrupted, started, t0)
    return ResetResult(envelopes, code, was_interrupted, warnings)


def reset_targets(
    local: bool, replay: Path | None, fleet: FleetArgs, timeout_s: float = 30.0
) -> tuple[list[Target], Transport]:
    """The hosts of a run and the transport to reach them (-H/-i, --replay DIR or --local)."""
    if sum(map(bool, (local, replay, fleet.wanted))) > 1:
        raise UsageError("--local, --replay and -H/-i exclude each other")
    if fleet.become and not fleet.wanted:
        raise UsageError("--become needs -H or -i: it runs the payload through sudo on SSH hosts")
    if fleet.wanted:
        from diag.fleet.args import load_targets, ssh_transport

        return load_targets(fleet), ssh_transport(fleet, timeout_s)
    if replay is not None:
        from diag.session import replay_targets

        rt = ReplayTransport(replay)
        return replay_targets(rt, fleet.limit), rt
    if local:
        from diag.transport.local import BlockingLocal, local_name

        return [Target(name=local_name())], BlockingLocal()
    raise UsageError("say which hosts: -H HOST[,HOST...], -i INVENTORY, --local or --replay DIR")
