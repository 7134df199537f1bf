"""`health --act --backend kubernetes`: the backend factory that gives Kubernetes groups the
condition-and-taint backend (probes.backends.kube_health); every other backend is the probes'
own (probes.backends.make). What each node's condition says comes from diag.health_act."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from probes import backends
from probes.backends.kube_bodies import Note
from schemas.probe import Backend, GroupConfig

if TYPE_CHECKING:
    from schemas.health_act import ActConfig


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
