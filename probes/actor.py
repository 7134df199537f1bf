"""Carrying out (or, without --act, only planning) each node's action; auditing every one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from diag.transport.base import Transport
from probes import audit, backends, envelopes, outputs
from probes.client import probe
from probes.plan import GroupGuard, NodePlan, Roster, node_verdicts
from probes.restart import restart_and_reprobe, ssh_target
from probes.verdict import judge
from schemas.probe import (
    ActionKind,
    ActionResult,
    CordonEvent,
    StateFile,
    TargetsFile,
    Verdict,
)

RELEASED: dict[str, object] = {
    "cordoned_by_us": False,
    "cordoned_at": None,
    "cordon_backend": None,
    "cordon_reason": "",
}

if TYPE_CHECKING:
    from probes.round import RoundResult, RunOptions


class Actor:
    """Carries out (or, without --act, only plans) each node's action, auditing every one."""

    def __init__(
        self,
        tf: TargetsFile | Roster,
        st: StateFile,
        opts: RunOptions,
        result: RoundResult,
        now: float,
    ) -> None:
        self.tf, self.st, self.opts, self.result, self.now = tf, st, opts, result, now
        self.who = audit.who()
        self._backends: dict[str, backends.CordonBackend] = {}
        self._transports: dict[str, Transport | None] = {}
        self._transport_errors: dict[str, str] = {}
        self.audit_broken = False

    def backend(self, group: str) -> backends.CordonBackend:
        if group not in self._backends:
            try:
                self._backends[group] = self.opts.backend_factory(self.tf.group(group))
            except Exception as exc:  # e.g. kubernetes not installed, bad kubeconfig
                self._backends[group] = backends.Unavailable(f"{type(exc).__name__}: {exc}")
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
            kind,
            self.who,
            p.node if p else "",
            group,
            self.tf.group(group).backend,
            why,
            evidence,
            not self.opts.act,
            res,
            msg,
        )
        try:
            audit.append(self.opts.audit_path, rec)
        except OSError as exc:  # disk full mid-round: report it, and act no further
            if not self.audit_broken:
                self.result.output_errors.append(
                    outputs.write_failed(self.opts.audit_path, "--audit", exc)
                )
            self.audit_broken = True
        self.result.audits.append(envelopes.audit_envelope(rec))
        if res is ActionResult.FAILED:
            self.result.action_failed = True

    def breaker(self, g: GroupGuard) -> None:
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

    async def act(
        self, p: NodePlan, why: str, timings: dict[str, object], key: str = "probes"
    ) -> tuple[ActionResult, str]:
        """`timings` is the evidence behind the action, under `key` in the audit record (the
        probes' measurements; a health run's findings)."""
        if p.action is ActionKind.NONE:
            return ActionResult.NONE, ""
        evidence: dict[str, object] = {
            "verdict": p.label,
            "consecutive_fail": p.state.consecutive_fail,
            "consecutive_pass": p.state.consecutive_pass,
            key: timings,
        }
        reason = f"{p.label} x{p.state.consecutive_fail}: {why}"
        if p.blocked:
            res, msg = ActionResult.BLOCKED, "blast-radius breaker tripped"
        elif not self.opts.act:
            res, msg = ActionResult.PLANNED, "dry run: pass --act to change anything"
        elif self.audit_broken:
            res, msg = ActionResult.FAILED, "not done: the audit log cannot be written"
            if p.restart_unit and p.action is ActionKind.CORDON:
                msg += f" (would restart {p.restart_unit} first)"
        elif p.action is ActionKind.CORDON:
            if p.restart_unit and await self.restart(p, why):
                p.action = ActionKind.RESTART
                return ActionResult.DONE, f"restarted {p.restart_unit}; healthy again, no cordon"
            res, msg = self.cordon(p, reason)
        else:
            res, msg = self.uncordon(p)
        self.record(p.action, p, p.group, why or p.label, evidence, res, msg)
        return res, msg

    def cordon(self, p: NodePlan, reason: str) -> tuple[ActionResult, str]:
        """Ownership is recorded in our state only for a drain this call performed: a node
        already drained is never claimed, whatever its reason says (a human may have typed
        `diagctl:`), so it is never resumed by diagctl either."""
        b = self.backend(p.group)
        out = b.cordon(p.node, reason)
        if out.result is ActionResult.DONE and out.ours:
            mark = {
                "cordoned_by_us": True,
                "cordoned_at": self.now,
                "cordon_backend": b.name,
                "cordon_reason": backends.clean_reason(f"{backends.PREFIX} {reason}"),
            }
            p.state = p.state.model_copy(update=mark)
            self.st.cordons.setdefault(p.group, []).append(CordonEvent(at=self.now, node=p.node))
        elif out.result is ActionResult.ALREADY:
            return out.result, f"{out.message}; not claimed: our state has no record of draining it"
        return out.result, out.message

    def uncordon(self, p: NodePlan) -> tuple[ActionResult, str]:
        out = self.backend(p.group).uncordon(p.node)
        if out.result is not ActionResult.FAILED:
            # Done, already clear, or a human's cordon now: either way no longer ours.
            p.state = p.state.model_copy(update=RELEASED)
        return out.result, out.message

    def reconcile(self, plans: list[NodePlan]) -> None:
        """A node our state says we drained, still failing, that the scheduler no longer has
        drained: someone resumed it. Report it, let go of it, and plan a new cordon when its
        failures reach the threshold (the breaker counts it like any other). Before guard()."""
        for p in plans:
            if not (p.state.cordoned_by_us and p.failing):
                continue
            if self.backend(p.group).drained(p.node) is not False:
                continue  # still drained, or the backend cannot tell (command hooks)
            was = p.state
            p.state = was.model_copy(update=RELEASED)
            self.st.nodes[p.node] = p.state  # guard() counts held nodes from the state
            again = p.state.consecutive_fail >= self.tf.group(p.group).fail_threshold
            p.action = ActionKind.CORDON if again else ActionKind.NONE
            msg = f"resumed outside diagctl while still {p.label}; diagctl no longer holds it" + (
                "; cordoning again through the breaker" if again else ""
            )
            evidence: dict[str, object] = {"cordoned_at": was.cordoned_at,
                                           "cordon_reason": was.cordon_reason}  # fmt: skip
            self.record(ActionKind.RESUMED_ELSEWHERE, p, p.group, p.label, evidence,
                        ActionResult.NONE, msg)  # fmt: skip

    def transport(self, group: str) -> Transport | None:
        if group not in self._transports:
            try:
                self._transports[group] = self.opts.transport_factory(self.tf.group(group))
            except Exception as exc:  # bad key file, bad settings: the restart fails, not the run
                self._transport_errors[group] = f"{type(exc).__name__}: {exc}"[:200]
                self._transports[group] = None
        return self._transports[group]

    async def close(self) -> None:
        for t in self._transports.values():
            if t is not None:
                await t.close()

    async def restart(self, p: NodePlan, why: str) -> bool:
        """Restart the node's unit and re-probe; True when it came back healthy."""
        cfg = self.tf.group(p.group)
        transport = self.transport(p.group)
        mine = [t for t in self.tf.targets if t.node == p.node]
        if transport is None:
            msg = self._transport_errors.get(p.group) or "no SSH transport in this build"
            msg = f"restart skipped: {msg}"
            self.record(ActionKind.RESTART, p, p.group, why, {"unit": p.restart_unit},
                        ActionResult.FAILED, msg)  # fmt: skip
            return False

        async def reprobe() -> Verdict:
            outs = [await probe(t, cfg.deadline_s, cfg.connect_timeout_s) for t in mine]
            pairs = ((p.node, judge(o, t, cfg)[0]) for o, t in zip(outs, mine, strict=True))
            return node_verdicts(pairs)[p.node]

        host = ssh_target(p.node, next((t.ssh_host for t in mine if t.ssh_host), ""), cfg)
        rr = await restart_and_reprobe(transport, host, p.restart_unit, cfg, reprobe)
        evidence: dict[str, object] = {
            "unit": p.restart_unit,
            "host": host.address,
            "reprobes": rr.reprobes,
            "verdict_after": rr.verdict_after and rr.verdict_after.value,
        }
        result = ActionResult.DONE if rr.ok else ActionResult.FAILED
        self.record(ActionKind.RESTART, p, p.group, why, evidence, result, rr.message)
        if rr.healthy:
            p.state = p.state.model_copy(update={"consecutive_fail": 0})
        return rr.healthy
