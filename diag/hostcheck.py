"""One `diagctl health` host: payload out, captures back, checks, one bounded envelope."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from pydantic import ValidationError

import diag
from diag.assets import host_inventory
from diag.checks import REGISTRY, Check, Context, sources_for
from diag.envelope import bound, finalize, utc_now
from diag.judge import facts_of as facts_of
from diag.judge import host_facts, host_identity, judge
from diag.payload import PYTHON_ARGV, build_for, payload_deadline
from diag.policy import Policy
from diag.transport.base import CommandResult, Target, Transport
from diag.transport.replay import ReplayTransport
from schemas.envelope import (
    Envelope,
    ErrorCode,
    ErrorInfo,
    Finding,
    HostRef,
    Replayed,
    Status,
)
from schemas.health import CheckRun, HealthData, HealthEnvelope, HostFacts
from schemas.payload import Capture, PayloadOutput

KIND = "health.l1"
DEFAULT_MAX_BYTES = 64 * 1024

TRANSPORT_HINTS = {
    "timeout": "host slow or unreachable; raise --timeout or check the network path",
    "auth": "check --identity / the user, and that the key is in authorized_keys",
    "host_key_changed": "the host key differs from known_hosts: verify the host, then update "
    "known_hosts by hand; diagctl never accepts a changed key",
    "host_key_unknown": "no known_hosts entry: add it, or pass --accept-new to record it",
    "unreachable": "connection refused or no route; is sshd running and the port right?",
    "transport": "see the message; rerun with --debug for details",
    "become_failed": "give the SSH user passwordless sudo (a NOPASSWD sudoers rule) or log in "
    "as root",
}


@dataclass
class HealthOptions:
    policy: Policy
    checks: list[Check] = field(default_factory=lambda: list(REGISTRY.values()))
    timeout_s: float = 30.0
    max_bytes: int = DEFAULT_MAX_BYTES
    host_class: str = ""
    command: tuple[str, ...] = PYTHON_ARGV
    extra: dict[str, object] = field(default_factory=dict)  # Context.extra, e.g. expect_gpus
    # payload_of's memo: (command, the checks, timeout) -> the payload's bytes
    payloads: dict[tuple[object, ...], bytes] = field(
        default_factory=dict, repr=False, compare=False
    )


def payload_of(opts: HealthOptions) -> bytes:
    """The payload every host of a run gets (`sh -s` over SSH: python3 or the sh fallback),
    built once per run rather than once per host."""
    key = (opts.command, tuple(opts.checks), opts.timeout_s)  # checks: frozen, hashable
    if key not in opts.payloads:
        build = build_for(opts.command)
        opts.payloads[key] = build(sources_for(opts.checks), payload_deadline(opts.timeout_s))
    return opts.payloads[key]


@dataclass
class HostRun:
    """What one host produced: its envelope and the raw bytes worth keeping (--out)."""

    envelope: Envelope
    raw: dict[str, bytes]


def _ref(target: Target, facts: Mapping[str, object] | None = None) -> HostRef:
    ref = HostRef(name=target.name, address=target.address)
    if facts:
        ref.hostname = str(facts.get("hostname", ""))
        ref.host_id, ref.host_id_source = host_identity(facts)
    return ref


def _envelope(target: Target, started: str, t0: float, **kw: object) -> HealthEnvelope:
    return HealthEnvelope.model_validate(
        {
            "kind": KIND,
            "tool_version": diag.__version__,
            "host": _ref(target),
            "ok": False,
            "status": Status.UNKNOWN,
            "collected_at": started,
            "duration_ms": int((time.monotonic() - t0) * 1000),
            **kw,
        }
    )


def failed_run(
    target: Target, res: CommandResult, started: str, t0: float, host_class: str = ""
) -> HealthEnvelope:
    """The envelope of a host we could not collect from (unreachable, auth, timeout, ...)."""
    kind = res.error or "transport"
    err = ErrorInfo(code=ErrorCode(kind), message=res.message or kind, hint=TRANSPORT_HINTS[kind])
    status = Status.ERROR if kind == "transport" else Status.UNREACHABLE
    data = HealthData(host_class=host_class or target.host_class)
    return _envelope(target, started, t0, status=status, errors=[err], data=data)


def parse_payload(stdout: bytes) -> tuple[PayloadOutput, bytes]:
    """The payload's last JSON line (login banners or motd may precede it), and that line."""
    lines = [ln for ln in stdout.splitlines() if ln.startswith(b"{")]
    if not lines:
        raise ValueError("payload printed no JSON document")
    # The sh fallback passes host bytes through as they are; invalid UTF-8 is replaced here.
    text = lines[-1].decode("utf-8", "replace")
    return PayloadOutput.model_validate_json(text), lines[-1]


def _host_facts(facts: Mapping[str, object]) -> HostFacts:
    return HostFacts(**host_facts(facts))


def run_checks(
    caps: Mapping[str, Capture], opts: HealthOptions, ctx: Context
) -> tuple[list[Finding], list[CheckRun], list[ErrorInfo]]:
    """Every enabled check; one that raises becomes an `error` finding, the rest still run."""
    findings, runs, errors = judge(caps, opts.checks, opts.policy.check, ctx)
    return findings, [CheckRun(**r) for r in runs], [ErrorInfo.model_validate(e) for e in errors]


async def check_host(transport: Transport, target: Target, opts: HealthOptions) -> HostRun:
    """Never raises for a host problem: every outcome is an envelope.

    A replayed host keeps its recorded `collected_at` and says it was replayed (`replayed`).
    """
    started, t0 = utc_now(), time.monotonic()
    marker: Replayed | None = None
    if isinstance(transport, ReplayTransport):
        started, marker = transport.provenance(target.name, started)

    def done(env: Envelope, raw: dict[str, bytes]) -> HostRun:
        env.replayed = marker
        return HostRun(bound(finalize(env), opts.max_bytes), raw)

    payload = payload_of(opts)
    res = await transport.run(target, opts.command, payload, opts.timeout_s)
    # `--local` may have started this payload before the host's turn (diag/payload/early.py):
    # the host's duration counts from then.
    t0 = min(t0, getattr(transport, "adopted_t0", None) or t0)
    if res.error:
        return done(failed_run(target, res, started, t0, opts.host_class), {})
    try:
        doc, line = parse_payload(res.stdout)
    except (ValueError, ValidationError) as exc:
        err = ErrorInfo(
            code=ErrorCode.PAYLOAD_FAILED,
            message=f"exit {res.exit_code}: {str(exc).splitlines()[0][:300]}",
            hint=res.stderr.decode("utf-8", "replace")[-300:].strip(),
        )
        env = _envelope(target, started, t0, status=Status.ERROR, errors=[err])
        raw = {"stdout.bin": res.stdout[: 4 << 20], "stderr.bin": res.stderr[: 1 << 20]}
        return done(env, raw)
    facts = facts_of(doc.captures)
    host_class = opts.host_class or target.host_class
    hf = _host_facts(facts)
    ctx = Context(cpu_count=hf.cpu_count, host_class=host_class, extra=opts.extra)
    findings, runs, errors = run_checks(doc.captures, opts, ctx)
    env = _envelope(
        target,
        started,
        t0,
        findings=findings,
        errors=errors,
        data=HealthData(
            host_class=host_class,
            payload_mode=doc.mode,
            payload_ms=doc.duration_ms,
            facts=hf,
            checks=runs,
            inventory=host_inventory(facts, doc.captures, ctx.memo),
        ),
    )
    env.host = _ref(target, facts)
    env.truncated.captures = {
        k: c.truncated_bytes for k, c in doc.captures.items() if c.truncated_bytes
    }
    if doc.mode == "sh":
        env.errors.append(
            ErrorInfo(
                code=ErrorCode.NO_PYTHON,
                message="host has no python3: sh fallback ran, checks reduced",
                hint="install python3 (3.8+) on the host for full checks",
            )
        )
    return done(env, {"payload.json": line + b"\n"})
