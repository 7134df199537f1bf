"""Slurm: drain with `scontrol update ... State=DRAIN Reason="diagctl: ..."`, resume only ours.

Every call is an argv list (no shell). A node drained by a human (reason without our prefix)
is never resumed and never claimed as ours.
"""

from __future__ import annotations

import subprocess

from probes.backends import PREFIX, Outcome, clean_reason, refuse_node
from schemas.probe import ActionResult, Backend

TIMEOUT_S = 30


def parse_show_node(text: str) -> dict[str, str]:
    """`scontrol show node -o NAME` (one line of Key=Value) → dict. Pure.

    The value of `Reason=` may contain spaces and runs to the end of the line, e.g.
    `Reason=diagctl: zombie x [root@2026-11-22T18:52:53]`.
    """
    line = text.strip().splitlines()[0] if text.strip() else ""
    out: dict[str, str] = {}
    head, sep, reason = line.partition(" Reason=")
    if sep:
        out["Reason"] = reason.strip()
    for tok in head.split():
        k, eq, v = tok.partition("=")
        if eq:
            out[k] = v
    return out


def is_drained(info: dict[str, str]) -> bool:
    return "DRAIN" in info.get("State", "").upper()


class SlurmBackend:
    name = Backend.SLURM

    def __init__(self, scontrol: str = "scontrol") -> None:
        self.scontrol = scontrol

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.scontrol, *args], capture_output=True, text=True, timeout=TIMEOUT_S, check=False
        )

    def show(self, node: str) -> dict[str, str] | str:
        try:
            res = self._run("show", "node", "-o", node)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"{self.scontrol}: {exc}"
        if res.returncode != 0:
            return f"scontrol show node {node}: {res.stderr.strip()[:200]}"
        return parse_show_node(res.stdout)

    def cordon(self, node: str, reason: str) -> Outcome:
        if refused := refuse_node(node):
            return refused
        info = self.show(node)
        if isinstance(info, str):
            return Outcome(ActionResult.FAILED, info)
        if is_drained(info):
            ours = info.get("Reason", "").startswith(PREFIX)
            who = "diagctl" if ours else f"someone else ({info.get('Reason', '')[:80]})"
            return Outcome(ActionResult.ALREADY, f"already drained by {who}", ours=ours)
        text = clean_reason(f"{PREFIX} {reason}")
        return self._update(node, ["State=DRAIN", f"Reason={text}"], ours=True)

    def uncordon(self, node: str) -> Outcome:
        if refused := refuse_node(node):
            return refused
        info = self.show(node)
        if isinstance(info, str):
            return Outcome(ActionResult.FAILED, info)
        if not is_drained(info):
            return Outcome(ActionResult.ALREADY, "not drained")
        if not info.get("Reason", "").startswith(PREFIX):
            return Outcome(
                ActionResult.REFUSED, f"drained by someone else: {info.get('Reason', '')[:80]}"
            )
        return self._update(node, ["State=RESUME"], ours=False)

    def drained(self, node: str) -> bool | None:
        if refuse_node(node):
            return None
        info = self.show(node)
        return None if isinstance(info, str) or not info else is_drained(info)

    def _update(self, node: str, fields: list[str], ours: bool) -> Outcome:
        if refused := refuse_node(node):  # scontrol would expand a hostlist: never pass one
            return refused
        try:
            res = self._run("update", f"NodeName={node}", *fields)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return Outcome(ActionResult.FAILED, f"{self.scontrol}: {exc}")
        if res.returncode != 0:
            return Outcome(ActionResult.FAILED, f"scontrol update: {res.stderr.strip()[:200]}")
        return Outcome(ActionResult.DONE, " ".join(fields), ours=ours)
