"""Command hook: run the group's argv with {node} and {reason} expanded (no shell)."""

from __future__ import annotations

import subprocess

from probes.backends import PREFIX, Outcome, clean_reason
from schemas.probe import ActionResult, Backend

TIMEOUT_S = 60


def expand(argv: list[str], node: str, reason: str) -> list[str]:
    """Each element formatted on its own: a node name can never split into new arguments."""
    return [a.replace("{node}", node).replace("{reason}", reason) for a in argv]


class CommandBackend:
    name = Backend.COMMAND

    def __init__(self, cordon_argv: list[str], uncordon_argv: list[str]) -> None:
        self.cordon_argv = cordon_argv
        self.uncordon_argv = uncordon_argv

    def cordon(self, node: str, reason: str) -> Outcome:
        return self._run(expand(self.cordon_argv, node, clean_reason(f"{PREFIX} {reason}")), True)

    def uncordon(self, node: str) -> Outcome:
        return self._run(expand(self.uncordon_argv, node, ""), False)

    def _run(self, argv: list[str], ours: bool) -> Outcome:
        try:
            res = subprocess.run(
                argv, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return Outcome(ActionResult.FAILED, f"{argv[0]}: {exc}")
        if res.returncode != 0:
            tail = (res.stderr or res.stdout).strip()[-200:]
            return Outcome(ActionResult.FAILED, f"{argv[0]} exited {res.returncode}: {tail}")
        return Outcome(ActionResult.DONE, f"{argv[0]} exited 0", ours=ours)
