"""A protocol-level stand-in for the kube-apiserver Node API (no real apiserver can be installed
here: see docs/development.md, "Probe tests: real servers"). It serves GET /api/v1/nodes,
GET /api/v1/nodes/{name} and PATCH /api/v1/nodes/{name} with Content-Type
application/merge-patch+json (RFC 7386: objects merge, null deletes, lists are replaced), as
the apiserver does; other patch types get 415.
It records every request for the tests."""

from __future__ import annotations

import copy
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


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


def node(name: str, unschedulable: bool = False) -> dict[str, Any]:
    spec: dict[str, Any] = {"unschedulable": True} if unschedulable else {}
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "annotations": {}, "resourceVersion": "1"},
            "spec": spec, "status": {}}  # fmt: skip


class KubeStandIn:
    def __init__(self) -> None:
        self.nodes: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str, str]] = []  # method, path, content-type
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

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

            def do_GET(self) -> None:
                api.requests.append(("GET", self.path, ""))
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
                if ctype != "application/merge-patch+json":  # the only semantics implemented
                    return self._send(415, {"kind": "Status", "code": 415})
                name = self._name()
                if name not in api.nodes:
                    return self._send(404, {"kind": "Status", "code": 404, "reason": "NotFound"})
                new = merge_patch(api.nodes[name], body)
                new["metadata"]["resourceVersion"] = str(
                    int(new["metadata"]["resourceVersion"]) + 1
                )
                api.nodes[name] = new
                return self._send(200, new)

        return Handler
