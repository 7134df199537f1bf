"""Kubernetes: cordon = unschedulable + a `diagctl.io/zombie` NoSchedule taint + an annotation.

Uses the official `kubernetes` client (optional extra `diagctl[k8s]`, imported lazily). The
annotation records the evidence and whether diagctl itself set `unschedulable`, so uncordon
removes only what diagctl added: a node a human cordoned stays cordoned.
"""

from __future__ import annotations

import json
from typing import Any

from probes.backends import PREFIX, Outcome, clean_reason, refuse_node
from schemas.probe import ActionResult, Backend

TAINT_KEY = "diagctl.io/zombie"
ANNOTATION = "diagctl.io/cordon"
MERGE_PATCH = "application/merge-patch+json"
# A merge patch replaces the whole taint list, so it carries the resourceVersion it was computed
# from: a taint another writer added in between makes the API server answer 409 Conflict, and
# we read the node again instead of overwriting theirs.
ATTEMPTS = 3


def _taints(node: Any) -> list[dict[str, Any]]:
    out = []
    for t in node.spec.taints or []:
        added = t.time_added
        if added is not None and not isinstance(added, str):  # the client parses it
            added = added.isoformat().replace("+00:00", "Z")
        fields = (("key", t.key), ("value", t.value), ("effect", t.effect), ("timeAdded", added))
        out.append({k: v for k, v in fields if v})
    return out


def _versioned(node: Any, body: dict[str, Any]) -> dict[str, Any]:
    meta = {**body.get("metadata", {}), "resourceVersion": node.metadata.resource_version}
    return {**body, "metadata": meta}


class KubeBackend:
    name = Backend.KUBERNETES

    def __init__(self, api: Any) -> None:
        self.api = api  # kubernetes.client.CoreV1Api

    @classmethod
    def from_config(cls, kubeconfig: str = "", context: str = "") -> KubeBackend:
        from kubernetes import client
        from kubernetes import config as kconfig

        config: Any = kconfig  # untyped package; keep mypy strict elsewhere

        if kubeconfig:
            api_client = config.new_client_from_config(
                config_file=kubeconfig, context=context or None
            )
        else:
            try:
                config.load_incluster_config()
            except config.ConfigException:
                config.load_kube_config(context=context or None)
            api_client = client.ApiClient()
        return cls(client.CoreV1Api(api_client))

    def _read(self, node: str) -> Any:
        from kubernetes.client.exceptions import ApiException

        try:
            return self.api.read_node(node)
        except ApiException as exc:
            return f"read node {node}: HTTP {exc.status} {exc.reason}"
        except Exception as exc:  # urllib3 connection errors and the like
            return f"read node {node}: {type(exc).__name__}: {exc}"[:200]

    def _patch(self, node: str, body: dict[str, Any]) -> str | None:
        """ "" when written, None on 409 Conflict (the node changed since we read it), else why
        it failed."""
        from kubernetes.client.exceptions import ApiException

        try:
            # JSON merge patch (RFC 7386): lists are replaced and null deletes a key, so removing
            # our taint cannot depend on strategic-merge keys of the server's version.
            self.api.patch_node(node, body, _content_type=MERGE_PATCH)
        except ApiException as exc:
            if exc.status == 409:
                return None
            return f"patch node {node}: HTTP {exc.status} {exc.reason}"
        except Exception as exc:
            return f"patch node {node}: {type(exc).__name__}: {exc}"[:200]
        return ""

    def cordon(self, node: str, reason: str) -> Outcome:
        if refused := refuse_node(node):
            return refused
        for _ in range(ATTEMPTS):
            out = self._cordon_once(node, reason)
            if out is not None:
                return out
        return Outcome(ActionResult.FAILED, _CHANGED.format(node=node))

    def _cordon_once(self, node: str, reason: str) -> Outcome | None:
        obj = self._read(node)
        if isinstance(obj, str):
            return Outcome(ActionResult.FAILED, obj)
        taints = _taints(obj)
        if any(t.get("key") == TAINT_KEY for t in taints):
            return Outcome(ActionResult.ALREADY, "taint already present", ours=True)
        was_unschedulable = bool(obj.spec.unschedulable)
        mark = {"reason": clean_reason(f"{PREFIX} {reason}", 500), "set_unschedulable": True}
        mark["set_unschedulable"] = not was_unschedulable
        body = {
            "metadata": {"annotations": {ANNOTATION: json.dumps(mark)}},
            "spec": {
                "unschedulable": True,
                "taints": [*taints, {"key": TAINT_KEY, "value": "true", "effect": "NoSchedule"}],
            },
        }
        err = self._patch(node, _versioned(obj, body))
        if err is None:
            return None
        if err:
            return Outcome(ActionResult.FAILED, err)
        note = " (was already unschedulable: left as it was)" if was_unschedulable else ""
        return Outcome(ActionResult.DONE, f"unschedulable + taint {TAINT_KEY}{note}", ours=True)

    def drained(self, node: str) -> bool | None:
        """Our NoSchedule taint is what keeps work off the node (`kubectl uncordon` leaves it)."""
        if refuse_node(node):
            return None
        obj = self._read(node)
        return (
            None if isinstance(obj, str) else any(t.get("key") == TAINT_KEY for t in _taints(obj))
        )

    def uncordon(self, node: str) -> Outcome:
        if refused := refuse_node(node):
            return refused
        for _ in range(ATTEMPTS):
            out = self._uncordon_once(node)
            if out is not None:
                return out
        return Outcome(ActionResult.FAILED, _CHANGED.format(node=node))

    def _uncordon_once(self, node: str) -> Outcome | None:
        obj = self._read(node)
        if isinstance(obj, str):
            return Outcome(ActionResult.FAILED, obj)
        annotations = obj.metadata.annotations or {}
        taints = _taints(obj)
        if ANNOTATION not in annotations and not any(t.get("key") == TAINT_KEY for t in taints):
            if obj.spec.unschedulable:
                return Outcome(ActionResult.REFUSED, "cordoned by someone else")
            return Outcome(ActionResult.ALREADY, "not cordoned")
        try:
            mark = json.loads(annotations.get(ANNOTATION, "{}"))
        except ValueError:
            mark = {}
        spec: dict[str, Any] = {"taints": [t for t in taints if t.get("key") != TAINT_KEY]}
        if mark.get("set_unschedulable", False):
            spec["unschedulable"] = False
        body = {"metadata": {"annotations": {ANNOTATION: None}}, "spec": spec}
        err = self._patch(node, _versioned(obj, body))
        if err is None:
            return None
        if err:
            return Outcome(ActionResult.FAILED, err)
        return Outcome(ActionResult.DONE, "removed diagctl's taint and annotation")


_CHANGED = f"patch node {{node}}: the node changed under {ATTEMPTS} attempts (409 Conflict)"
