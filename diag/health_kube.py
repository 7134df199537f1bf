"""`health --act --backend kubernetes`: what each node's `DiagctlUnhealthy` condition says, and
the backend factory that gives Kubernetes groups the condition-and-taint backend
(probes.backends.kube_health) while every other backend is the probes' own."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from probes import backends
from probes.backends.kube_bodies import FALLBACK, PASSED, Note, reason_of
from schemas.envelope import Action
from schemas.probe import Backend, GroupConfig

if TYPE_CHECKING:
    from diag.health_act import HostVerdict
    from probes.plan import NodePlan
    from schemas.health_act import ActConfig

LADDER = list(Action)  # mildest first


def note_of(p: NodePlan, v: HostVerdict) -> Note:
    """Failing: the reason names the worst finding's check (`gpu.memory` → `GpuMemory`; ties
    by check id), the message lists every failing finding. Passing: how many runs passed."""
    if v.failing is not True:
        return Note(PASSED, f"{p.state.consecutive_pass} passing health runs in a row ({v.note})")
    if not v.findings:
        return Note(FALLBACK, v.why)
    worst = min(v.findings, key=lambda f: (-LADDER.index(f.action), f.check_id))
    return Note(reason_of(worst.check_id), v.why)


def notes_for(plans: list[NodePlan], by_node: Mapping[str, HostVerdict]) -> dict[str, Note]:
    return {p.node: note_of(p, by_node[p.node]) for p in plans if p.node in by_node}


def factory(
    config: ActConfig, notes: Mapping[str, Note]
) -> Callable[[GroupConfig], backends.CordonBackend]:
    """The backend per group: Kubernetes gets conditions and taints, the rest backends.make."""

    def make(cfg: GroupConfig) -> backends.CordonBackend:
        if cfg.backend is not Backend.KUBERNETES:
            return backends.make(cfg)
        try:
            import kubernetes  # noqa: F401

            from probes.backends.kube_health import KubeHealthBackend
        except ImportError as exc:
            raise RuntimeError(
                "the kubernetes client is missing: pip install 'diagctl[k8s]'"
            ) from exc
        return KubeHealthBackend.from_config(
            cfg.kubeconfig, cfg.kube_context, notes, config.kube_no_execute
        )

    return make
