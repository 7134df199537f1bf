"""One probe round: probe all targets concurrently, judge, update state, guard, act, audit."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from diag.envelope import utc_now
from probes import envelopes, outputs, state
from probes.actor import Actor
from probes.busy import read_counter
from probes.client import Outcome, probe, redact_url
from probes.plan import NodePlan, decide, guard, node_verdicts
from probes.round import RoundResult, RunOptions
from probes.verdict import busy_override, judge
from schemas.probe import (
    ActionKind,
    ActionResult,
    ProbeData,
    ProbeTarget,
    StateFile,
    TargetsFile,
    Verdict,
)


async def probe_all(tf: TargetsFile, concurrency: int) -> list[Outcome]:
    sem = asyncio.Semaphore(max(1, concurrency))

    async def one(t: ProbeTarget) -> Outcome:
        cfg = tf.group(t.group)
        async with sem:
            before = await read_counter(t.metrics_url)
            out = await probe(t, cfg.deadline_s, cfg.connect_timeout_s)
            if before is not None:
                out.gen_tokens_before = before
                out.gen_tokens_after = await read_counter(t.metrics_url)
            return out

    return list(await asyncio.gather(*(one(t) for t in tf.targets)))


async def run_round(tf: TargetsFile, opts: RunOptions) -> RoundResult:
    """Probe, judge, decide, guard, act (or plan), audit, save; every target gets an envelope."""
    t0 = time.monotonic()
    started = utc_now()
    # Every output before any endpoint or scheduler: an action must not lose its record.
    outputs.check_all(opts.state_path, opts.audit_path, opts.prom_path)
    result = RoundResult()
    with state.locked(opts.state_path, opts.lock_wait_s):
        st = state.load(opts.state_path)
        result.warnings += state.clamp_future(st, time.time())
        outcomes = await probe_all(tf, opts.concurrency)
        judged = [
            busy_override(o, *judge(o, t, tf.group(t.group)))
            for o, t in zip(outcomes, tf.targets, strict=True)
        ]
        now = time.time()
        verdicts = node_verdicts((t.node, j[0]) for t, j in zip(tf.targets, judged, strict=True))
        plans = decide(tf, st, verdicts, now)
        actor = Actor(tf, st, opts, result, now)
        actor.reconcile(plans)
        guards = guard(tf, st, plans, now)
        result.breaker_tripped = any(g.tripped for g in guards)
        for g in guards:
            if g.tripped:
                actor.breaker(g)
        rows = per_node(tf, outcomes, judged)
        try:
            notes = {
                p.node: await actor.act(p, judged_reason(rows[p.node]), evidence(rows[p.node]))
                for p in plans
                if p.action is not ActionKind.NONE
            }
        finally:
            await actor.close()
        try:
            _save(st, plans, tf, now, opts.state_path)
        except OSError as exc:  # the envelopes still go out; the message names the file
            result.output_errors.append(outputs.write_failed(opts.state_path, "--state", exc))
    by_node = {p.node: p for p in plans}
    for t, o, j in zip(tf.targets, outcomes, judged, strict=True):
        note = notes.get(t.node, (ActionResult.NONE, ""))
        data = _data(t, o, j, by_node[t.node], note, opts.act, tf)
        result.probes.append(envelopes.probe_envelope(data, tf.group(t.group), started))
    if opts.prom_path is not None:
        from probes import prom

        try:
            prom.write(opts.prom_path, [e.data for e in result.probes])
        except OSError as exc:
            result.output_errors.append(outputs.write_failed(opts.prom_path, "--prom", exc))
    result.duration_ms = int((time.monotonic() - t0) * 1000)
    return result


def _data(
    t: ProbeTarget,
    o: Outcome,
    judged: tuple[Verdict, str, bool],
    p: NodePlan,
    note: tuple[ActionResult, str],
    act: bool,
    tf: TargetsFile,
) -> ProbeData:
    return ProbeData(
        target=t.name,
        url=redact_url(t.url),
        model=t.model,
        node=t.node,
        group=t.group,
        api=t.api,
        verdict=judged[0],
        reason=judged[1],
        skipped_busy=judged[2],
        timings=o.timings,
        state=p.state,
        action=p.action,
        action_result=note[0],
        action_message=note[1],
        dry_run=not act,
        backend=tf.group(t.group).backend,
    )


Row = tuple[ProbeTarget, Outcome, tuple[Verdict, str, bool]]


def per_node(
    tf: TargetsFile, outcomes: list[Outcome], judged: list[tuple[Verdict, str, bool]]
) -> dict[str, list[Row]]:
    """Each node's targets with their outcome and verdict (one pass, for large fleets)."""
    rows: dict[str, list[Row]] = {}
    for row in zip(tf.targets, outcomes, judged, strict=True):
        rows.setdefault(row[0].node, []).append(row)
    return rows


def evidence(rows: list[Row]) -> dict[str, object]:
    """The measurements behind a node's action, per target, for the audit record."""
    keep = {"http_status", "connect_ms", "ttft_ms", "itl_ms_max", "tokens", "e2e_ms", "error"}
    return {t.name: o.timings.model_dump(mode="json", include=keep) for t, o, _ in rows}


def judged_reason(rows: list[Row]) -> str:
    return "; ".join(
        f"{t.name}: {v.value} ({why})" for t, _, (v, why, _) in rows if v is not Verdict.HEALTHY
    )[:400]


def _save(st: StateFile, plans: list[NodePlan], tf: TargetsFile, now: float, path: Path) -> None:
    """Write this round's counters; forget nodes gone from the targets file unless diagctl still
    holds them cordoned (those stay, so a later file can uncordon them)."""
    for p in plans:
        st.nodes[p.node] = p.state
    listed = {t.node for t in tf.targets}
    st.nodes = {n: s for n, s in st.nodes.items() if n in listed or s.cordoned_by_us}
    for group, events in list(st.cordons.items()):
        st.cordons[group] = state.prune(events, now, tf.group(group).window_s)
    state.save(path, st)
