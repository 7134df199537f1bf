"""`diagctl health --act`: hosts whose findings reach an action level are drained or cordoned.

The probes' path, not a copy of it: per-node hysteresis in a state file (probes.state), the
action plan and blast-radius breaker (probes.plan), the backends with their owned-reason prefix
(probes.backends), the actor that records ownership and audits every step (probes.actor,
probes.audit). Without `--act` every step is planned and audited as a dry run.

A host "fails" when a finding with status fail carries an action at or above the level
(`reset` by default: reset, reboot, isolate); it "passes" when its status is pass, warn or
not_applicable; anything else (unknown, unreachable, error, a failing finding below the level,
a fail the byte cap dropped) is neither: it holds a drain but never releases one.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from diag import health_kube
from diag.errors import InventoryError
from diag.transport.base import Target
from probes import backends, outputs, state
from probes.actor import Actor
from probes.backends.kube_bodies import FALLBACK, PASSED, Note, reason_of
from probes.plan import NodePlan, Roster, guard, want_action
from probes.round import RoundResult, RunOptions
from schemas.envelope import Action, Envelope, Finding, Status
from schemas.health_act import ActConfig
from schemas.probe import ActionKind, AuditEnvelope, NodeState, StateFile, node_name_problem

GROUP = "health"  # one breaker over every host of the run
LADDER = list(Action)  # mildest first (schemas.envelope.Action)
PASSING = {Status.PASS, Status.WARN, Status.NOT_APPLICABLE}


def reaches(action: Action, level: Action) -> bool:
    return LADDER.index(action) >= LADDER.index(level)


@dataclass(frozen=True)
class HostVerdict:
    host: str
    node: str
    failing: bool | None  # True: drain-worthy; False: passes; None: neither
    findings: tuple[Finding, ...] = ()
    note: str = ""

    @property
    def why(self) -> str:
        """One short line for the scheduler's reason field and the audit record."""
        if not self.findings:
            return self.note
        parts = [f"{f.check_id} {f.action.value}: {f.message}" for f in self.findings]
        return "; ".join(parts)[:400]


def judge(env: Envelope, level: Action, host: str, node: str) -> HostVerdict:
    hits = tuple(f for f in env.findings if f.status is Status.FAIL and reaches(f.action, level))
    if hits:
        return HostVerdict(host, node, True, hits)
    if env.truncated.findings_dropped and env.summary.fail:
        return HostVerdict(host, node, None, note="a failing finding was cut by --max-bytes")
    if env.status in PASSING:
        return HostVerdict(host, node, False, note=f"host {env.status.value}")
    below = f"failing below {level.value}" if env.status is Status.FAIL else env.status.value
    return HostVerdict(host, node, None, note=f"host {below}")


def local_node(env: dict[str, str] | None = None) -> str:
    """Slurm's name for this machine: $SLURMD_NODENAME (slurmd sets it for HealthCheckProgram),
    else `hostname -s`."""
    env = dict(os.environ) if env is None else env
    return env.get("SLURMD_NODENAME") or socket.gethostname().split(".")[0]


def node_of(t: Target) -> str:
    """The scheduler node of a host: inventory var `node`, then `slurm_node`, then its name."""
    node = t.vars.get("node") or t.vars.get("slurm_node") or t.name
    problem = node_name_problem(node)
    if problem:
        raise InventoryError(f"host {t.name!r}: scheduler node {problem}; set its `node:` var")
    return str(node)


def node_map(targets: Iterable[Target], local: str = "") -> dict[str, str]:
    """host name → node name; two hosts on one node is an error (one node, one count)."""
    out: dict[str, str] = {}
    seen: dict[str, str] = {}
    for t in targets:
        node = local or node_of(t)
        if node in seen:
            raise InventoryError(f"hosts {seen[node]!r} and {t.name!r} both map to node {node!r}")
        seen[node], out[t.name] = t.name, node
    return out


def plan(roster: Roster, st: StateFile, verdicts: list[HostVerdict], now: float) -> list[NodePlan]:
    """Advance each node's counters and pick its action (before the guard). Pure."""
    plans = []
    for v in sorted(verdicts, key=lambda v: v.node):
        ns = state.count(st.nodes.get(v.node, NodeState()), v.failing, now)
        label = {True: "health fail", False: "health pass", None: "health unknown"}[v.failing]
        action = want_action(ns, roster.group(GROUP))
        plans.append(NodePlan(v.node, GROUP, None, ns, action, label=label, fails=bool(v.failing)))
    return plans


def note_of(p: NodePlan, v: HostVerdict) -> Note:
    """Failing: the reason names the worst finding's check (`gpu.memory` → `GpuMemory`; ties
    by check id), the message lists every failing finding. Passing: how many runs passed."""
    if v.failing is not True:
        return Note(PASSED, f"{p.state.consecutive_pass} passing health runs in a row ({v.note})")
    if not v.findings:
        return Note(FALLBACK, v.why)
    worst = min(v.findings, key=lambda f: (-LADDER.index(f.action), f.check_id))
    return Note(reason_of(worst.check_id), v.why)


def notes_for(plans: list[NodePlan], by_node: dict[str, HostVerdict]) -> dict[str, Note]:
    return {p.node: note_of(p, by_node[p.node]) for p in plans if p.node in by_node}


@dataclass(frozen=True)
class ActArgs:
    config: ActConfig
    state_path: Path
    audit_path: Path
    act: bool = False
    lock_wait_s: float = 30.0
    # None: Kubernetes groups get the condition-and-taint backend (diag.health_kube)
    backend_factory: Callable[..., backends.CordonBackend] | None = None


@dataclass
class ActOutcome:
    audits: list[AuditEnvelope] = field(default_factory=list)
    breaker_tripped: bool = False
    action_failed: bool = False
    warnings: list[str] = field(default_factory=list)
    output_errors: list[str] = field(default_factory=list)


def verdicts_of(
    envs: Iterable[Envelope], nodes: dict[str, str], level: Action
) -> list[HostVerdict]:
    """One verdict per host of the run; a host without an envelope is neither pass nor fail."""
    got = {e.host.name: e for e in envs}
    return [
        judge(got[h], level, h, n) if h in got else HostVerdict(h, n, None, note="no envelope")
        for h, n in nodes.items()
    ]


def act_on(verdicts: list[HostVerdict], args: ActArgs) -> ActOutcome:
    """Plan, guard, act (or plan only), audit, save: the probe round's steps for health hosts."""
    outputs.check_writable(args.state_path, "--act-state", create_parent=True)
    outputs.check_writable(args.audit_path, "--act-audit", create_parent=True)
    cfg = args.config.group()
    notes: dict[str, Note] = {}  # filled once the plans are known, before any backend call
    factory = args.backend_factory or health_kube.factory(args.config, notes)
    opts = RunOptions(args.state_path, args.audit_path, args.act, None, args.lock_wait_s,
                      backend_factory=factory)  # fmt: skip
    result = RoundResult()
    with state.locked(args.state_path, args.lock_wait_s):
        st = state.load(args.state_path)
        result.warnings += state.clamp_future(st, time.time())
        now = time.time()
        # Nodes diagctl holds from earlier runs (another --limit) count against the breaker.
        held = {n for n, ns in st.nodes.items() if ns.cordoned_by_us}
        nodes = held | {v.node for v in verdicts}
        roster = Roster(frozenset((n, GROUP) for n in nodes), {GROUP: cfg})
        plans = plan(roster, st, verdicts, now)
        by_node = {v.node: v for v in verdicts}
        notes.update(notes_for(plans, by_node))
        actor = Actor(roster, st, opts, result, now)
        actor.reconcile(plans)
        guards = guard(roster, st, plans, now)
        result.breaker_tripped = any(g.tripped for g in guards)
        for g in guards:
            if g.tripped:
                actor.breaker(g)
        asyncio.run(_carry(actor, [p for p in plans if p.action is not ActionKind.NONE], by_node))
        try:
            _save(st, plans, now, args.state_path, cfg.window_s)
        except OSError as exc:
            result.output_errors.append(outputs.write_failed(args.state_path, "--act-state", exc))
    return ActOutcome(result.audits, result.breaker_tripped, result.action_failed,
                      result.warnings, result.output_errors)  # fmt: skip


async def _carry(actor: Actor, plans: list[NodePlan], by_node: dict[str, HostVerdict]) -> None:
    for p in plans:
        v = by_node[p.node]
        findings = [f.model_dump(mode="json", include=EVIDENCE) for f in v.findings]
        evidence: dict[str, object] = {"host": v.host, "findings": findings, "note": v.note}
        await actor.act(p, v.why, evidence, key="health")


EVIDENCE = {"check_id", "status", "severity", "entity", "action", "message", "observed"}


def _save(st: StateFile, plans: list[NodePlan], now: float, path: Path, window_s: float) -> None:
    """This run's counters; nodes of other runs (other inventories) are kept as they were."""
    for p in plans:
        st.nodes[p.node] = p.state
    st.cordons[GROUP] = state.prune(st.cordons.get(GROUP, []), now, window_s)
    state.save(path, st)
