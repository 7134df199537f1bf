"""One host's maintenance record: its steps, the cordon and uncordon through the probe backend
(each one an audit record, as `probe run` and `health --act` write them), the registry actions
with their evidence pointers, and the incident a failure opens."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Literal

from diag.exitcodes import Exit, exit_code
from diag.textsafe import safe_text
from diag.transport.base import CommandResult, Target
from probes import audit
from schemas.envelope import Envelope, Status
from schemas.lifecycle import EvidencePointer
from schemas.lifecycle_maintain import MaintainData, MaintainStep
from schemas.probe import ActionKind, ActionResult, AuditRecord

if TYPE_CHECKING:
    from lifecycle.maintain_args import Context
    from lifecycle.probe_step import ProbeSpec
    from probes.plan import GroupGuard

GROUP = "maintain"
Outcome = Literal["pass", "warn", "fail", "unknown"]


def step_of(step: str, result: str, message: str = "") -> MaintainStep:
    return MaintainStep.model_validate(
        {"step": step, "result": result, "message": safe_text(message)[:400]}
    )


def breaker_audit(ctx: Context, g: GroupGuard) -> None:
    """The breaker's refusal, one audit record (as `probe run` writes it)."""
    from diag.envelope import utc_now
    from lifecycle.breaker import tripped_message
    from probes.envelopes import breaker_evidence

    rec = AuditRecord(
        at=utc_now(), who=audit.who(), action=ActionKind.BREAKER, group=GROUP,
        backend=ctx.backend.name, why="blast-radius limit would be crossed",
        evidence=breaker_evidence(g), dry_run=False, result=ActionResult.BLOCKED,
        message=tripped_message(g),
    )  # fmt: skip
    audit.append(ctx.audit_path, rec)


def envelope_pointer(env: Envelope, what: str) -> EvidencePointer:
    digest = hashlib.sha256(env.model_dump_json().encode()).hexdigest()
    note = f"{what}: health {env.status.value} collected {env.collected_at}"
    return EvidencePointer(kind="envelope", sha256=digest, note=note)


class Ledger:
    def __init__(self, t: Target, ctx: Context, wave: int) -> None:
        from lifecycle.registry.store import actor

        a = ctx.args
        self.t, self.ctx, self.who = t, ctx, actor()
        self.node = ctx.nodes[t.name]
        self.data = MaintainData(
            command=a.shown_command, reboots=a.reboots, wave=wave, node=self.node
        )
        self.pointers: list[EvidencePointer] = []

    def ok(self, step: str, message: str = "") -> None:
        self.data.steps.append(step_of(step, "done", message))

    def _audit(self, kind: ActionKind, res: ActionResult, msg: str) -> None:
        why = f"{self.ctx.args.reason}: {self.ctx.args.shown_command}"
        rec = AuditRecord(
            at=self._now(), who=audit.who(), action=kind, node=self.node, group=GROUP,
            backend=self.ctx.backend.name, why=why, evidence={"host": self.t.name},
            dry_run=False, result=res, message=msg,
        )  # fmt: skip
        audit.append(self.ctx.audit_path, rec)
        self.pointers.append(
            EvidencePointer(
                kind="audit", path=str(self.ctx.audit_path), note=f"{kind.value} {res.value}"
            )
        )

    def _now(self) -> str:
        from diag.envelope import utc_now

        return utc_now()

    def _record(
        self, action: str, outcome: Outcome, reason: str, ptrs: list[EvidencePointer]
    ) -> None:
        reg = self.ctx.registry
        if reg is not None:
            reg.record(self.asset_id(), action, outcome, self.who, reason[:400], ptrs)

    def asset_id(self) -> str:
        assert self.ctx.registry is not None
        return self.ctx.registry.get(self.t.name).host_id

    def cordon(self) -> bool:
        """Into phase maintain, then out of scheduling; a human's drain is never claimed."""
        self._move("maintain", f"{self.ctx.args.reason}: {self.ctx.args.shown_command}")
        out = self.ctx.backend.cordon(self.node, f"maintain: {self.ctx.args.reason}")
        self._audit(ActionKind.CORDON, out.result, out.message)
        done = out.result in (ActionResult.DONE, ActionResult.ALREADY)
        self.owned = out.ours
        if not (done and out.ours) and self.ctx.breaker is not None:
            self.ctx.breaker.release([self.node])  # not ours to hold: a human's or none
        self.data.steps.append(step_of("cordon", "done" if done else "failed", out.message))
        self._record("cordon", "pass" if done else "fail", out.message, self.pointers[-1:])
        return done

    def check(self, step: str, env: Envelope, gate: bool) -> bool:
        """A health snapshot: recorded as `maintain_precheck`, or as the `l1` step the return
        gate reads (post-check)."""
        good = exit_code([env], policy=self.ctx.args.exits) is Exit.OK
        ptr = envelope_pointer(env, step)
        self.pointers.append(ptr)
        msg = f"health {env.status.value}: {env.summary.fail} fail, {env.summary.unknown} unknown"
        self.data.steps.append(step_of(step, "done" if good or not gate else "failed", msg))
        outcome: Outcome = (
            "pass" if good else "unknown" if env.status is Status.UNREACHABLE else "fail"
        )
        self._record("l1" if gate else "maintain_precheck", outcome, msg, [ptr])
        return good

    async def probe(self, spec: ProbeSpec) -> bool:
        """One token probe after the post-check, recorded as the `probe` step the return gate
        reads; zombie or down fails (the host stays cordoned), slow passes."""
        from lifecycle.probe_step import probe_one

        step, _finding = await probe_one(spec, self.t)
        good = step.outcome != "fail"
        self.pointers.extend(step.evidence)
        self.data.steps.append(step_of("probe", "done" if good else "failed", step.reason))
        self._record("probe", step.outcome, step.reason, step.evidence)
        return good

    def command(self, res: CommandResult) -> bool:
        """Exit 0 passes; a reboot may also end the session before it reports (no status)."""
        ok = res.exit_code == 0 or (self.ctx.args.reboots and res.exit_code is None)
        if ok:
            note = "exited 0" if res.exit_code == 0 else f"session ended ({res.error})"
            self.ok("command", note)
            digest = hashlib.sha256(res.stdout + res.stderr).hexdigest()
            ptr = EvidencePointer(
                kind="output", sha256=digest, note=f"{self.ctx.args.shown_command}: {note}"[:1000]
            )
            self._record("maintain_command", "pass", note, [ptr])
        return ok

    def command_why(self, res: CommandResult) -> str:
        if res.exit_code is None:
            return f"did not finish: {res.error}: {safe_text(res.message)}"
        tail = safe_text(res.stderr.decode("utf-8", "replace").strip()[-200:])
        return f"exited {res.exit_code}" + (f": {tail}" if tail else "")

    async def fail(self, step: str, why: str) -> MaintainData:
        """Stop here: the step failed; the host stays cordoned; an incident is opened."""
        self.data.steps.append(step_of(step, "failed", why))
        self._record(f"maintain_{step}", "fail", why, [])
        self._move("incident", f"maintain {step} failed: {why}")
        self.data.steps.append(step_of("incident", "done", f"{step} failed: {why}"))
        return self.finish("failed")

    def passed(self) -> MaintainData:
        out = self.ctx.backend.uncordon(self.node)
        self._audit(ActionKind.UNCORDON, out.result, out.message)
        good = out.result in (ActionResult.DONE, ActionResult.ALREADY)
        if good and self.ctx.breaker is not None:
            self.ctx.breaker.release([self.node])
        self.data.steps.append(step_of("uncordon", "done" if good else "failed", out.message))
        self._move("monitor", "maintenance passed its post-check")
        return self.finish("passed" if good else "failed")

    def finish(self, outcome: Literal["passed", "failed"]) -> MaintainData:
        self.data.outcome = outcome
        if self.ctx.registry is not None:
            self.data.phase = self.ctx.registry.get(self.t.name).phase
        return self.data

    def _move(self, to: str, reason: str) -> None:
        reg = self.ctx.registry
        if reg is None:
            return
        from lifecycle.moves import move_if_gate

        move_if_gate(reg, self.t.name, to, self.who, reason, list(self.pointers))
