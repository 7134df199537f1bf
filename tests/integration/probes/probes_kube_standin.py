"""A protocol-level stand-in for the kube-apiserver Node API (no real apiserver can be installed
here: see docs/development.md, "Probe tests: real servers"). It serves GET /api/v1/nodes,
GET /api/v1/nodes/{name} and PATCH /api/v1/nodes/{name} with Content-Type
application/merge-patch+json (RFC 7386: objects merge, null deletes, lists are replaced), as
the apiserver does; other patch types get 415.
It records every request for the tests.

What the health mode needs is validated as the apiserver documents it (probes_kube_rules):
PATCH /api/v1/nodes/{name}/status only as application/strategic-merge-patch+json, merging
`status.conditions` by `type` and ignoring everything but `status` (the status subresource);
a `metadata.resourceVersion` in a node patch is a precondition (409 Conflict when stale);
every write bumps the resourceVersion; a write to the node itself cannot change `status`;
taints and conditions are checked (422 Invalid). `interleave[name]` holds merge patches that
"another writer" applies just before our next node patch, to make conflicts on demand."""

from __future__ import annotations

import contextlib
import copy
import importlib.util
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml
from probes_kube_rules import apply_status, problems

from tests.support.components import require


def merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


MERGE = "application/merge-patch+json"


def api_others(api: KubeStandIn, name: str) -> bool:
    """Apply the next interleaved write of "another writer" to `name` (bumps its version)."""
    queue = api.interleave.get(name) or []
    if not queue:
        return False
    cur = api.nodes[name]
    new = merge_patch(cur, queue.pop(0))
    new["metadata"]["resourceVersion"] = str(int(cur["metadata"]["resourceVersion"]) + 1)
    api.nodes[name] = new
    return True


def node(name: str, unschedulable: bool = False) -> dict[str, Any]:
    spec: dict[str, Any] = {"unschedulable": True} if unschedulable else {}
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "annotations": {}, "resourceVersion": "1"},
            "spec": spec, "status": {}}  # fmt: skip


class KubeStandIn:
    def __init__(self) -> None:
        self.nodes: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str, str]] = []  # method, path, content-type
        self.bodies: list[tuple[str, str, Any]] = []  # PATCH path, content-type, body
        self.interleave: dict[str, list[dict[str, Any]]] = {}
        self.lock = threading.Lock()
        self.token: str | None = None  # when set, every request must carry it as Bearer
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def write(self, name: str, body: dict[str, Any], status: bool) -> tuple[int, Any]:
        """One PATCH, as the apiserver applies it; (HTTP code, answer)."""
        if not status:
            api_others(self, name)  # another writer got in between our read and this write
        cur = self.nodes[name]
        want_rv = (body.get("metadata") or {}).get("resourceVersion")
        if want_rv and want_rv != cur["metadata"]["resourceVersion"]:
            return 409, {"kind": "Status", "code": 409, "reason": "Conflict"}
        new = apply_status(cur, body) if status else merge_patch(cur, body)
        if not status:
            new["status"] = copy.deepcopy(cur["status"])  # the node itself cannot change status
        bad = problems(new)
        if bad:
            return 422, {"kind": "Status", "code": 422, "reason": "Invalid", "message": bad}
        new["metadata"]["resourceVersion"] = str(int(cur["metadata"]["resourceVersion"]) + 1)
        self.nodes[name] = new
        return 200, new

    def start(self) -> KubeStandIn:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def _send(self, code: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _name(self) -> str | None:
                prefix = "/api/v1/nodes/"
                return (
                    self.path.split("?")[0][len(prefix) :] if self.path.startswith(prefix) else None
                )

            def _denied(self) -> bool:
                if api.token is None or self.headers.get("Authorization") == f"Bearer {api.token}":
                    return False
                self._send(401, {"kind": "Status", "code": 401, "reason": "Unauthorized"})
                return True

            def do_GET(self) -> None:
                api.requests.append(("GET", self.path, ""))
                if self._denied():
                    return None
                if self.path.split("?")[0] == "/api/v1/nodes":
                    items = list(api.nodes.values())
                    return self._send(200, {"apiVersion": "v1", "kind": "NodeList",
                                            "metadata": {}, "items": items})  # fmt: skip
                name = self._name()
                if name in api.nodes:
                    return self._send(200, api.nodes[name])
                return self._send(404, {"kind": "Status", "code": 404, "reason": "NotFound"})

            def do_PATCH(self) -> None:
                ctype = self.headers.get("Content-Type", "")
                api.requests.append(("PATCH", self.path, ctype))
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                api.bodies.append((self.path, ctype, body))
                if self._denied():
                    return None
                name = self._name() or ""
                status = name.endswith("/status")
                name = name.removesuffix("/status")
                want = "application/strategic-merge-patch+json" if status else MERGE
                if ctype != want:  # the only semantics implemented for each path
                    return self._send(415, {"kind": "Status", "code": 415})
                if name not in api.nodes:
                    return self._send(404, {"kind": "Status", "code": 404, "reason": "NotFound"})
                with api.lock:
                    code, out = api.write(name, body, status)
                return self._send(code, out)

        return Handler


@contextlib.contextmanager
def running(tmp_path: Path, token: str, check_token: bool) -> Iterator[tuple[KubeStandIn, Path]]:
    """A started stand-in and a kubeconfig for it (bearer `token`; the stand-in refuses other
    tokens only when `check_token`), stopped on the way out."""
    found = importlib.util.find_spec("kubernetes") is not None
    require("kubernetes client", found, "pip install -e .[k8s] (or .[probes-test])")
    api = KubeStandIn().start()
    api.token = token if check_token else None
    cfg = {
        "apiVersion": "v1", "kind": "Config", "current-context": "t",
        "clusters": [{"name": "t", "cluster": {"server": api.url}}],
        "users": [{"name": "u", "user": {"token": token}}],
        "contexts": [{"name": "t", "context": {"cluster": "t", "user": "u"}}],
    }  # fmt: skip
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(cfg))
    try:
        yield api, path
    finally:
        api.stop()
