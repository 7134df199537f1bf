"""Cordon backends behind one interface; one is picked per target group (`backend:`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from schemas.probe import ActionResult, Backend, GroupConfig, node_name_problem

PREFIX = "diagctl:"  # every reason/annotation we write starts with it; nothing else is ours


@dataclass(frozen=True)
class Outcome:
    result: ActionResult
    message: str = ""
    ours: bool = False  # after a cordon: diagctl holds this node (it may uncordon it later)


class CordonBackend(Protocol):
    name: Backend

    def cordon(self, node: str, reason: str) -> Outcome:
        """Take `node` out of scheduling; idempotent; never takes over a human's cordon."""
        ...

    def uncordon(self, node: str) -> Outcome:
        """Undo only what diagctl did; a human's cordon is left alone (REFUSED)."""
        ...

    def drained(self, node: str) -> bool | None:
        """Whether the scheduler has `node` out of scheduling now; None: cannot tell."""
        ...


class NoBackend:
    """backend: none — verdicts and plans only."""

    name = Backend.NONE

    def cordon(self, node: str, reason: str) -> Outcome:
        return Outcome(ActionResult.FAILED, "group has backend none: nothing can be cordoned")

    def uncordon(self, node: str) -> Outcome:
        return Outcome(ActionResult.FAILED, "group has backend none: nothing can be uncordoned")

    def drained(self, node: str) -> bool | None:
        return None


class Unavailable:
    """The group's backend could not be set up (missing client, bad kubeconfig): every action
    fails with that reason, and the round still reports every target."""

    name = Backend.NONE

    def __init__(self, why: str) -> None:
        self.why = why[:300]

    def cordon(self, node: str, reason: str) -> Outcome:
        return Outcome(ActionResult.FAILED, f"backend unavailable: {self.why}")

    def uncordon(self, node: str) -> Outcome:
        return Outcome(ActionResult.FAILED, f"backend unavailable: {self.why}")

    def drained(self, node: str) -> bool | None:
        return None


def _slurm(cfg: GroupConfig) -> CordonBackend:
    from probes.backends.slurm import SlurmBackend

    return SlurmBackend(cfg.slurm_scontrol)


def _kubernetes(cfg: GroupConfig) -> CordonBackend:
    try:
        import kubernetes  # noqa: F401

        from probes.backends.kube import KubeBackend
    except ImportError as exc:
        raise RuntimeError("the kubernetes client is missing: pip install 'diagctl[k8s]'") from exc
    return KubeBackend.from_config(cfg.kubeconfig, cfg.kube_context)


def _command(cfg: GroupConfig) -> CordonBackend:
    from probes.backends.command import CommandBackend

    return CommandBackend(cfg.command_cordon, cfg.command_uncordon)


# One entry per `backend:` value; each factory imports its client lazily (kubernetes is an
# optional extra). A new backend is a module plus one line here.
REGISTRY: dict[Backend, Callable[[GroupConfig], CordonBackend]] = {
    Backend.SLURM: _slurm,
    Backend.KUBERNETES: _kubernetes,
    Backend.COMMAND: _command,
    Backend.NONE: lambda cfg: NoBackend(),
}


def make(cfg: GroupConfig) -> CordonBackend:
    """The backend a group asks for."""
    return REGISTRY[cfg.backend](cfg)


def clean_reason(text: str, limit: int = 120) -> str:
    """One printable line: scheduler reasons and annotations are shown to humans."""
    flat = "".join(ch if ch.isprintable() else " " for ch in text)
    return " ".join(flat.split())[:limit]


def refuse_node(node: str) -> Outcome | None:
    """FAILED before any command is built when `node` is not exactly one node name: the
    targets file is checked at load, and this keeps every backend safe when called directly."""
    problem = node_name_problem(node)
    return Outcome(ActionResult.FAILED, f"refused: node {problem}") if problem else None
