"""One probe round: probe all targets concurrently, judge, update state, guard, act, audit."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from diag.envelope import utc_now
from diag.transport.base import Target, Transport
from probes import audit, backends, envelopes, state
from probes.client import Outcome, probe
from probes.plan import NodePlan, decide, guard, node_verdicts
from probes.restart import restart_and_reprobe
from probes.verdict import judge
from schemas.probe import (
    ActionKind,
    ActionResult,
    AuditEnvelope,
    CordonEvent,
    ProbeData,
    ProbeEnvelope,
    ProbeTarget,
    StateFile,
    TargetsFile,
    Verdict,
)


@dataclass
class RunOptions:
    state_path: Path
    audit_path: Path
    act: bool = False
    prom_path: Path | None = None
    lock_wait_s: float = 30.0
    concurrency: int = 256
    transport: Transport | None = None  # for restarts; None: restarts are reported as skipped
    backend_factory: Callable[..., backends.CordonBackend] = backends.make


@dataclass
class RoundResult:
    probes: list[ProbeEnvelope] = field(default_factory=list)
    audits: list[AuditEnvelope] = field(default_factory=list)
    breaker_tripped: bool = False
    action_failed: bool = False
    duration_ms: int = 0


async def probe_all(tf: TargetsFile, concurrency: int) -> list[Outcome]:
    sem = asyncio.Semaphore(max(1, concurrency))

    async def one(t: ProbeTarget) -> Outcome:
        cfg = tf.group(t.group)
        async with sem:
            return await probe(t, cfg.deadline_s, cfg.connect_timeout_s)

    return list(await asyncio.gather(*(one(t) for t in tf.targets)))


def check_audit_writable(path: Path) -> None:
    """Fail before acting, not after: an action without its audit record is not allowed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    os.close(fd)


async def run_round(tf: TargetsFile, opts: RunOptions) -> RoundResult:
    t0 = time.monotonic()
    started = utc_now()
    check_audit_writable(opts.audit_path)
    with state.locked(opts.state_path, opts.lock_wait_s):
        st = state.load(opts.state_path)
        outcomes = await probe_all(tf, opts.concurrency)
        judged = [judge(o, t, tf.group(t.group)) for o, t in zip(outcomes, tf.targets, strict=True)]
        now = time.time()
        plans = decide(
            tf,
            st,
            node_verdicts((t.node, v) for t, (v, _) in zip(tf.targets, judged, strict=True)),
            now,
        )
        guards = guard(tf, st, plans, now)
        result = RoundResult(breaker_tripped=any(g.tripped for g in guards))
        actor = _Actor(tf, st, opts, result, now)
        for g in guards:
            if g.tripped:
                actor.breaker(g)
        by_node = {p.node: p for p in plans}
        notes: dict[str, tuple[ActionResult, str]] = {}
        for p in plans:
            notes[p.node] = await actor.act(p, judged_reason(tf, judged, p.node))
        _save(st, plans, tf, now, opts.state_path)
    for t, o, (v, why) in zip(tf.targets, outcomes, judged, strict=True):
        p = by_node[t.node]
        res, msg = notes[t.node]
        data = ProbeData(
            target=t.name, url=t.url, model=t.model, node=t.node, group=t.group, api=t.api,
            verdict=v, reason=why, timings=o.timings, state=p.state, action=p.action,
            action_result=res, action_message=msg, dry_run=not opts.act,
            backend=tf.group(t.group).backend,
        )  # fmt: skip
        result.probes.append(envelopes.probe_envelope(data, tf.group(t.group), started))
    if opts.prom_path is not None:
        from probes import prom

        prom.write(opts.prom_path, [e.data for e in result.probes])
    result.duration_ms = int((time.monotonic() - t0) * 1000)
    return result


def judged_reason(tf: TargetsFile, judged: list[tuple[Verdict, str]], node: str) -> str:
    return "; ".join(
        f"{t.name}: {v.value} ({why})"
        for t, (v, why) in zip(tf.targets, judged, strict=True)
        if t.node == node and v is not Verdict.HEALTHY
    )[:400]


def _save(st: StateFile, plans: list[NodePlan], tf: TargetsFile, now: float, path: Path) -> None:
    for p in plans:
        st.nodes[p.node] = p.state
    for group, events in list(st.cordons.items()):
        st.cordons[group] = state.prune(events, now, tf.group(group).window_s)
    state.save(path, st)


class _Actor:
    """Carries out (or, without --act, only plans) each node's action, auditing every one."""

    def __init__(
        self, tf: TargetsFile, st: StateFile, opts: RunOptions, result: RoundResult, now: float
    ) -> None:
        self.tf, self.st, self.opts, self.result, self.now = tf, st, opts, result, now
        self.who = audit.who()
        self._backends: dict[str, backends.CordonBackend] = {}

    def backend(self, group: str) -> backends.CordonBackend:
        if group not in self._backends:
            self._backends[group] = self.opts.backend_factory(self.tf.group(group))
        return self._backends[group]

    def record(
        self,
        kind: ActionKind,
        p: NodePlan | None,
        group: str,
        why: str,
        evidence: dict[str, object],
        res: ActionResult,
        msg: str,
    ) -> None:
        rec = envelopes.audit_record(
            kind, self.who, p.node if p else "", group, self.tf.group(group).backend, why,
            evidence, not self.opts.act, res, msg,
        )  # fmt: skip
        audit.append(self.opts.audit_path, rec)
        self.result.audits.append(envelopes.audit_envelope(rec))
        if res is ActionResult.FAILED:
            self.result.action_failed = True

    def breaker(self, g: object) -> None:
        from probes.plan import GroupGuard

        assert isinstance(g, GroupGuard)
        msg = (
            f"breaker tripped in group {g.group!r}: {g.wanted} cordon(s) wanted, "
            f"{g.used} already used, limit {g.limit} of {g.size} nodes; nothing cordoned"
        )
        self.record(
            ActionKind.BREAKER,
            None,
            g.group,
            "blast-radius limit would be crossed",
            envelopes.breaker_evidence(g),
            ActionResult.BLOCKED,
            msg,
        )

    async def act(self, p: NodePlan, why: str) -> tuple[ActionResult, str]:
        if p.action is ActionKind.NONE:
            return ActionResult.NONE, ""
        evidence: dict[str, object] = {
            "verdict": p.verdict.value, "consecutive_fail": p.state.consecutive_fail,
            "consecutive_pass": p.state.consecutive_pass, "probes": why,
        }  # fmt: skip
        reason = f"{p.verdict.value} x{p.state.consecutive_fail}: {why}"
        if p.blocked:
            res, msg = ActionResult.BLOCKED, "blast-radius breaker tripped"
        elif not self.opts.act:
            res, msg = ActionResult.PLANNED, "dry run: pass --act to change anything"
            if p.restart_unit and p.action is ActionKind.CORDON:
                msg += f" (would restart {p.restart_unit} first)"
        elif p.action is ActionKind.CORDON:
            if p.restart_unit and await self.restart(p, why):
                p.action = ActionKind.RESTART
                return ActionResult.DONE, f"restarted {p.restart_unit}; healthy again, no cordon"
            res, msg = self.cordon(p, reason)
        else:
            res, msg = self.uncordon(p)
        self.record(p.action, p, p.group, why or p.verdict.value, evidence, res, msg)
        return res, msg

    def cordon(self, p: NodePlan, reason: str) -> tuple[ActionResult, str]:
        out = self.backend(p.group).cordon(p.node, reason)
        if out.result in (ActionResult.DONE, ActionResult.ALREADY) and out.ours:
            p.state = p.state.model_copy(update={"cordoned_by_us": True, "cordoned_at": self.now})
            if out.result is ActionResult.DONE:
                self.st.cordons.setdefault(p.group, []).append(
                    CordonEvent(at=self.now, node=p.node)
                )
        return out.result, out.message

    def uncordon(self, p: NodePlan) -> tuple[ActionResult, str]:
        out = self.backend(p.group).uncordon(p.node)
        if out.result is not ActionResult.FAILED:
            # Done, already clear, or a human's cordon now: either way no longer ours.
            p.state = p.state.model_copy(update={"cordoned_by_us": False, "cordoned_at": None})
        return out.result, out.message

    async def restart(self, p: NodePlan, why: str) -> bool:
        """Restart the node's unit and re-probe; True when it came back healthy."""
        cfg = self.tf.group(p.group)
        if self.opts.transport is None:
            self.record(
                ActionKind.RESTART,
                p,
                p.group,
                why,
                {"unit": p.restart_unit},
                ActionResult.FAILED,
                "no transport for restarts in this run",
            )
            return False
        mine = [t for t in self.tf.targets if t.node == p.node]

        async def reprobe() -> Verdict:
            outs = [await probe(t, cfg.deadline_s, cfg.connect_timeout_s) for t in mine]
            return node_verdicts(
                (p.node, judge(o, t, cfg)[0]) for o, t in zip(outs, mine, strict=True)
            )[p.node]

        host = Target(name=p.node, address=p.node)
        rr = await restart_and_reprobe(self.opts.transport, host, p.restart_unit, cfg, reprobe)
        evidence: dict[str, object] = {
            "unit": p.restart_unit,
            "reprobes": rr.reprobes,
            "verdict_after": rr.verdict_after and rr.verdict_after.value,
        }
        self.record(
            ActionKind.RESTART,
            p,
            p.group,
            why,
            evidence,
            ActionResult.DONE if rr.ok else ActionResult.FAILED,
            rr.message,
        )
        if rr.healthy:
            p.state = p.state.model_copy(update={"consecutive_fail": 0})
        return rr.healthy
