"""`diagctl ingest DIR --phase P`: what a phase playbook (playbooks/<phase>.yml) collected,
judged and applied to the registry by the code the matching `diagctl lifecycle` command runs.

A phase playbook leaves one ingest directory per collection under DIR: `l1/` (the health
payload), `reset-reason/`, `bundle/` (PARTS says which phase has which). Each part is judged
exactly as `diagctl ingest` judges it (same parsers, policy, bundle verification); then:

  receive    lifecycle.receive.receive        (as `lifecycle receive`; records only with act)
  provision  lifecycle.provision.verify       (as `lifecycle provision --verify`)
  monitor    the `l1` action ingest records, and drift (`provision --verify` on a monitor asset)
  incident   lifecycle.incident.open_incident (as `lifecycle incident open`, with its evidence)
  retire     the final bundle as evidence, then lifecycle.retire.retire (as `lifecycle retire`)

Maintenance is not ingested: its drain, checks and release happen between the steps on the
host, so playbooks/maintain.yml calls `diagctl lifecycle maintain --step` for them (docs/scale.md).
receive.yml's optional `burn-in/` and retire.yml's `erase/` parts: lifecycle.phase_parts. A host
whose asset the registry refuses (unknown, in another phase) is a `problems` line; the others
are still applied.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from diag.errors import UsageError
from diag.exitcodes import Exit, ExitPolicy, exit_code
from diag.transport.base import Target
from lifecycle.registry.errors import RegistryError
from schemas.envelope import Envelope

if TYPE_CHECKING:
    from diag.ingest import IngestTransport

Emit = Callable[[Envelope], None]
PARTS: dict[str, tuple[str, ...]] = {
    "receive": ("l1",),
    "provision": ("l1",),
    "monitor": ("l1",),
    "incident": ("l1", "reset-reason", "bundle"),
    "retire": ("bundle",),
}
MAX_BYTES = 256 * 1024  # as the lifecycle commands judge their L1 runs


@dataclass
class PhaseRequest:
    root: Path
    phase: str
    out: Path | None = None
    policy: Path | None = None
    check_ids: tuple[str, ...] = ()
    exits: ExitPolicy = field(default_factory=ExitPolicy)
    limit: str = ""
    manifest: Path | None = None  # receive
    host_class: str = ""  # provision
    values: Path | None = None  # provision
    reason: str = ""  # incident, retire
    act: bool = False  # receive: record (as `lifecycle receive --act`)


@dataclass
class PhaseResult:
    exit: Exit
    problems: list[str] = field(default_factory=list)


def sub(out: Path | None, part: str) -> Path | None:
    return None if out is None else out / part


def check_request(req: PhaseRequest) -> None:
    """Everything a phase needs, before anything is judged or written: exit 2 otherwise."""
    needs = {"receive": ("manifest",), "provision": ("host_class", "values"),
             "incident": ("reason", "out"), "retire": ("out",)}  # fmt: skip
    flags = {"manifest": "--manifest", "host_class": "--class", "values": "--values",
             "reason": "--reason", "out": "--out"}  # fmt: skip
    for name in needs.get(req.phase, ()):
        if not getattr(req, name):
            raise UsageError(f"ingest --phase {req.phase} needs {flags[name]}")
    for part in PARTS[req.phase]:
        if not (req.root / part / "hosts").is_dir():
            raise UsageError(
                f"ingest {req.root}: no {part}/hosts/ (is this playbooks/{req.phase}.yml's out?)"
            )


def judge_l1(req: PhaseRequest) -> tuple[list[Envelope], list[Target], IngestTransport]:
    from diag.health import options_for
    from diag.ingest import ingest_targets
    from diag.session import run_health

    _kind, targets, transport = ingest_targets(req.root / "l1", "health.l1", req.limit)
    hopts = options_for(req.policy, req.check_ids, 30.0, MAX_BYTES, "")
    envs: list[Envelope] = []
    run_health(targets, transport, hopts, envs.append, sub(req.out, "l1"), 64, req.exits)
    return envs, targets, transport


def judge_reset(req: PhaseRequest) -> dict[str, Envelope]:
    from diag.ingest import ingest_targets
    from diag.reset_reason import ResetOptions, run_reset

    _kind, targets, transport = ingest_targets(req.root / "reset-reason", "reset_reason", req.limit)
    envs: list[Envelope] = []
    opts = ResetOptions(max_bytes=MAX_BYTES)
    run_reset(targets, transport, opts, envs.append, sub(req.out, "reset-reason"), 64, req.exits)
    return {e.host.name: e for e in envs}


def judge_bundles(req: PhaseRequest) -> dict[str, Envelope]:
    from diag.ingest import ingest_targets
    from diag.ingest_bundle import ingest_bundles

    out = sub(req.out, "bundle")
    assert out is not None  # check_request: the bundle's phases need --out
    _kind, targets, transport = ingest_targets(req.root / "bundle", "bundle", req.limit)
    hosts = {t.name: transport.collected[t.name] for t in targets}
    envs: list[Envelope] = []
    ingest_bundles(hosts, out, envs.append)
    return {e.host.name: e for e in envs}


def key_of(env: Envelope) -> str:
    """The registry key of a judged host: its host_id, else (unreachable) its name."""
    return env.host.host_id or env.host.name


def each(
    envs: list[Envelope], apply: Callable[[Envelope], list[Envelope]], emit: Emit
) -> tuple[list[Envelope], list[str]]:
    """`apply` per host; a registry refusal is that host's problem line, not the run's end."""
    results: list[Envelope] = []
    problems: list[str] = []
    for env in envs:
        try:
            got = apply(env)
        except RegistryError as exc:
            problems.append(f"{env.host.name}: {exc}")
            continue
        for e in got:
            results.append(e)
            emit(e)
    return results, problems


def finish(results: list[Envelope], problems: list[str], exits: ExitPolicy) -> PhaseResult:
    code = exit_code(results, policy=exits) if results else Exit.OK
    return PhaseResult(Exit.USAGE if problems else code, problems)
