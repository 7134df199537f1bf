"""Kubernetes for `health --act`: a `DiagctlUnhealthy` node condition plus diagctl's own taint.

cordon: the condition True (reason from the failing check, message short and redacted), then a
`diagctl.io/unhealthy` taint with effect NoSchedule (and NoExecute when `kube_no_execute` is
set) and a `diagctl.io/health` annotation saying which effects diagctl added. `spec.unschedulable`
and every other taint are never written: a human's `kubectl cordon` or taint is theirs.
uncordon: remove only the taints of diagctl's key (refused when that key is there without the
annotation: someone else set it), then the condition False with reason `ChecksPassed`.
Request formats and why: probes.backends.kube_bodies. Uses the official `kubernetes` client
(extra `diagctl[k8s]`) and reads answers as plain JSON, so every field of a taint is kept.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from probes.backends import Outcome, clean_reason, refuse_node
from probes.backends import kube_bodies as kb
from schemas.probe import ActionResult, Backend

MERGE_PATCH = "application/merge-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
ATTEMPTS = 3  # taint patches refused with 409 Conflict: read again and retry this many times


def utc_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


@dataclass(frozen=True)
class Failure:
    message: str
    conflict: bool = False


class KubeHealthBackend:
    name = Backend.KUBERNETES

    def __init__(
        self,
        api: Any,
        notes: Mapping[str, kb.Note],
        no_execute: bool = False,
        clock: Callable[[], str] = utc_now,
    ) -> None:
        self.api = api  # kubernetes.client.CoreV1Api
        self.notes = notes  # node → what its condition says (filled by the health run)
        self.effects = ["NoSchedule", "NoExecute"] if no_execute else ["NoSchedule"]
        self.clock = clock

    @classmethod
    def from_config(
        cls, kubeconfig: str, context: str, notes: Mapping[str, kb.Note], no_execute: bool
    ) -> KubeHealthBackend:
        from probes.backends.kube import KubeBackend

        return cls(KubeBackend.from_config(kubeconfig, context).api, notes, no_execute)

    def _request(self, what: str, call: Callable[[], Any]) -> dict[str, Any] | Failure:
        from kubernetes.client.exceptions import ApiException

        try:
            data = call().data
        except ApiException as exc:
            msg = clean_reason(f"{what}: HTTP {exc.status} {exc.reason}", 200)
            return Failure(msg, conflict=exc.status == 409)
        except Exception as exc:  # urllib3 connection errors and the like
            return Failure(clean_reason(f"{what}: {type(exc).__name__}: {exc}", 200))
        try:
            doc = json.loads(data)
        except ValueError:
            return Failure(f"{what}: the API server's answer is not JSON")
        return doc if isinstance(doc, dict) else Failure(f"{what}: answer is not an object")

    def _get(self, node: str) -> dict[str, Any] | Failure:
        return self._request(
            f"read node {node}", lambda: self.api.read_node(node, _preload_content=False)
        )

    def _condition(
        self, node: str, obj: dict[str, Any], failing: bool, note: kb.Note
    ) -> dict[str, Any] | Failure:
        body = kb.status_patch(kb.condition(failing, note, self.clock(), kb.current_condition(obj)))
        return self._request(
            f"patch node {node} status",
            lambda: self.api.patch_node_status(
                node, body, _content_type=STRATEGIC, _preload_content=False
            ),
        )

    def _retaint(self, node: str, obj: dict[str, Any], note: kb.Note | None) -> str:
        """Write our taints (note) or remove them (None) under the resourceVersion precondition;
        "" when done, else why not."""
        for _ in range(ATTEMPTS):
            body = kb.taint_patch(obj, self.effects, note)
            patch = partial(self.api.patch_node, node, body, _content_type=MERGE_PATCH,
                            _preload_content=False)  # fmt: skip
            got = self._request(f"patch node {node}", patch)
            if not isinstance(got, Failure):
                return ""
            if not got.conflict:
                return got.message
            again = self._get(node)
            if isinstance(again, Failure):
                return again.message
            obj = again
        return f"patch node {node}: the node changed under {ATTEMPTS} attempts (409 Conflict)"

    def cordon(self, node: str, reason: str) -> Outcome:
        if refused := refuse_node(node):
            return refused
        obj = self._get(node)
        if isinstance(obj, Failure):
            return Outcome(ActionResult.FAILED, obj.message)
        if kb.ours(obj):
            who = "diagctl" if kb.mark(obj) is not None else "someone else (no annotation)"
            return Outcome(ActionResult.ALREADY, f"taint {kb.TAINT_KEY} already set by {who}")
        note = self.notes.get(node, kb.Note(kb.FALLBACK, reason))
        after = self._condition(node, obj, True, note)
        if isinstance(after, Failure):
            return Outcome(ActionResult.FAILED, after.message)
        err = self._retaint(node, after, note)
        if err:
            return Outcome(
                ActionResult.FAILED, f"condition {kb.CONDITION} True; taint not set: {err}"
            )
        effects = "+".join(self.effects)
        msg = f"condition {kb.CONDITION} True ({note.reason}); taint {kb.TAINT_KEY}:{effects}"
        return Outcome(ActionResult.DONE, msg, ours=True)

    def uncordon(self, node: str) -> Outcome:
        if refused := refuse_node(node):
            return refused
        obj = self._get(node)
        if isinstance(obj, Failure):
            return Outcome(ActionResult.FAILED, obj.message)
        mine, mark = kb.ours(obj), kb.mark(obj)
        if mine and mark is None:
            msg = f"taint {kb.TAINT_KEY} was not set by diagctl (no {kb.ANNOTATION}): left alone"
            return Outcome(ActionResult.REFUSED, msg)
        removed = bool(mine or mark is not None)
        if removed and (err := self._retaint(node, obj, None)):
            return Outcome(ActionResult.FAILED, err)
        cond = kb.current_condition(obj)
        if not removed and (cond is None or cond.get("status") != "True"):
            return Outcome(ActionResult.ALREADY, f"no {kb.TAINT_KEY} taint")
        passed = self.notes.get(node, kb.Note(kb.PASSED, "diagctl health passes again"))
        after = self._condition(node, obj, False, kb.Note(kb.PASSED, passed.message))
        if isinstance(after, Failure):
            done = "taint removed; " if removed else ""
            return Outcome(ActionResult.FAILED, f"{done}condition not updated: {after.message}")
        msg = f"condition {kb.CONDITION} False ({kb.PASSED})"
        if removed:
            return Outcome(ActionResult.DONE, f"removed taint {kb.TAINT_KEY}; {msg}")
        return Outcome(ActionResult.ALREADY, f"no {kb.TAINT_KEY} taint; {msg}")

    def drained(self, node: str) -> bool | None:
        """Our NoSchedule taint is what keeps new pods off the node."""
        if refuse_node(node):
            return None
        obj = self._get(node)
        if isinstance(obj, Failure):
            return None
        return any(t.get("effect") == "NoSchedule" for t in kb.ours(obj))
