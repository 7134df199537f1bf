"""`diagctl bundle` as a library: per host, the L1 health run, then the bundle payload whose
tar.gz streams into `DIR/hosts/<enc>/`, verified on arrival, and one envelope (kind `bundle`)
pointing at it. No click, no printing."""

from __future__ import annotations

import asyncio
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from diag.artifacts import host_dir
from diag.bundle_land import Landing
from diag.bundle_payload import BundleOptions, program
from diag.bundle_report import bundle_envelope, failed_envelope, interrupted_envelope
from diag.bundle_stream import stream, streaming
from diag.envelope import utc_now
from diag.errors import PolicyError
from diag.exitcodes import Exit, exit_code
from diag.fleet.args import FleetArgs
from diag.fleet.fanout import run_fleet
from diag.transport.base import CommandResult, Target, Transport
from schemas.envelope import Envelope

PYTHON3 = ("python3", "-I", "-")
NO_PYTHON = 127  # the login shell's "command not found"


@dataclass
class BundleResult:
    envelopes: list[Envelope]
    exit: Exit
    interrupted: bool
    warnings: list[str]


def bundle_targets(local: bool, fleet: FleetArgs) -> tuple[list[Target], Transport, bool]:
    """(targets, transport, over SSH?) for --local or -H/-i."""
    if local and fleet.wanted:
        raise PolicyError("--local and -H/-i exclude each other")
    if fleet.become and not fleet.wanted:
        raise PolicyError("--become needs -H or -i: it runs the payload through sudo on SSH hosts")
    if fleet.wanted:
        from diag.fleet.args import load_targets, ssh_transport

        return load_targets(fleet), ssh_transport(fleet, 300.0), True
    if local:
        from diag.transport.local import LocalTransport

        return [Target(name=socket.gethostname())], LocalTransport(), False
    raise PolicyError("say which hosts: -H HOST[,HOST...], -i INVENTORY or --local")


def stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


async def _l1(transport: Transport, target: Target, ssh: bool, timeout: float) -> dict[str, str]:
    """The L1 health envelope and its raw captures (the NVML snapshot is among them)."""
    from diag.health import options_for
    from diag.hostcheck import check_host
    from diag.payload import SH_ARGV

    opts = options_for(None, (), min(timeout, 60.0), 256 * 1024, target.host_class)
    if ssh:
        opts.command = SH_ARGV
    run = await check_host(transport, target, opts)
    out = {"envelope.json": run.envelope.model_dump_json(indent=1)}
    if "payload.json" in run.raw:
        out["health-payload.json"] = run.raw["payload.json"].decode("utf-8", "replace")
    return out


async def bundle_host(
    transport: Transport, target: Target, opts: BundleOptions, out: Path, ssh: bool
) -> Envelope:
    """One host, never raising for a host problem: every outcome is an envelope."""
    started, t0 = utc_now(), time.monotonic()
    l1 = await _l1(transport, target, ssh, opts.timeout_s) if opts.l1 else None
    command = PYTHON3 if ssh else (sys.executable, "-I", "-")
    landing = Landing(host_dir(out, target.name), stamp(), opts.stream_limit)
    try:
        landing.open()
    except OSError as exc:
        res = CommandResult(None, error="transport", message=f"--out: {exc.strerror or exc}")
        return failed_envelope(target, res, started, t0)
    try:
        res = await stream(
            transport, target, command, program(opts, l1), opts.timeout_s, landing.write
        )
    except asyncio.CancelledError:
        landing.seal("interrupted before the bundle finished")
        raise
    problem = _problem(res)
    path, manifest, problem = landing.seal(problem)
    if path is None and res.error:
        return failed_envelope(target, res, started, t0)
    return bundle_envelope(target, started, t0, landing, path, manifest, problem)


def _problem(res: CommandResult) -> str:
    if res.error:
        return f"{res.error}: {res.message}"
    if res.exit_code == NO_PYTHON:
        return "the host has no python3 (diagctl bundle needs python3 >= 3.8 there)"
    if res.exit_code != 0:
        tail = res.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        return f"payload exited {res.exit_code}: {tail[0][:300]}"
    return ""


def run_bundles(
    targets: list[Target],
    transport: Transport,
    opts: BundleOptions,
    out: Path,
    emit: Callable[[Envelope], None],
    forks: int,
    ssh: bool,
) -> BundleResult:
    from diag.artifacts import write_host
    from diag.session import crashed_run, write_run_summary

    started, t0 = utc_now(), time.monotonic()
    transport = streaming(transport)
    warnings: list[str] = []

    async def job(target: Target) -> Envelope:
        t1, at = utc_now(), time.monotonic()
        try:
            return await bundle_host(transport, target, opts, out, ssh)
        except Exception as exc:  # one host's bug must not end the run for every other host
            env = crashed_run(target, exc, t1, at, 64 * 1024).envelope
            env.kind = "bundle"
            return env

    def on_result(target: Target, env: Envelope) -> None:
        try:
            write_host(out, target.name, env.model_dump_json(), {})
        except (OSError, ValueError) as exc:
            warnings.append(f"{target.name}: cannot write its envelope: {exc}")
        emit(env)

    async def main() -> tuple[list[Envelope], bool]:
        try:
            outcome = await run_fleet(targets, job, forks, on_result, interrupted_envelope)
        finally:
            await transport.close()
        return outcome.runs, outcome.interrupted

    envelopes, interrupted = asyncio.run(main())
    code = exit_code(envelopes, interrupted)
    warnings += write_run_summary(out, envelopes, code, interrupted, started, t0)
    return BundleResult(envelopes, code, interrupted, warnings)
