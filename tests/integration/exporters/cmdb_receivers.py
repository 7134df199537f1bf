"""Loopback stand-ins for ServiceNow and NetBox, which cannot run here. Each validates the
documented request format and answers as the real API does, enough for diagctl and pynetbox:

ServiceNow IRE (REST API reference, "Identification and Reconciliation API"):
    POST /api/now/identifyreconcile?sysparm_data_source=<source>, `Authorization: Bearer <t>`,
    JSON body {"items": [{"className", "values", "lookup"?}], "relations": [{"parent", "child",
    "type"}]}; answer {"result": {"items": [{"className", "operation", "sysId"}], ...}}.
NetBox REST (>= 4.0): `Authorization: Token <t>`; GET /api/dcim/devices/?serial=..|name=..,
    /api/dcim/inventory-items/?device_id=..&name=.. return {"count", "next", "previous",
    "results"}; POST creates (201, the object with its id); PATCH /<id>/ updates.
A request that breaks the format gets 400 and is recorded in `problems`: the tests assert none.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN = "s3cr3t-token-value-42"


@dataclass
class Receiver:
    url: str = ""
    requests: list[tuple[str, str, Any]] = field(default_factory=list)  # method, path, body
    problems: list[str] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)  # statuses to answer first, in order
    refuse_names: set[str] = field(default_factory=set)  # answer 400 for these hosts
    delay_s: float = 0.0
    store: dict[str, dict[int, dict[str, Any]]] = field(
        default_factory=lambda: {"devices": {}, "inventory-items": {}}
    )


def _snow_problems(query: dict[str, list[str]], auth: str, body: Any) -> list[str]:
    out = []
    if query.get("sysparm_data_source") != ["diagctl"]:
        out.append(f"sysparm_data_source {query.get('sysparm_data_source')}")
    if auth != f"Bearer {TOKEN}":
        out.append("Authorization header")
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        return [*out, "items missing or empty"]
    for i, item in enumerate(items):
        if not isinstance(item.get("className"), str) or not isinstance(item.get("values"), dict):
            out.append(f"items[{i}] lacks className/values")
        for look in item.get("lookup", []):
            if set(look) != {"className", "values"}:
                out.append(f"items[{i}].lookup shape")
    for rel in body.get("relations", []):
        ok = {rel.get("parent"), rel.get("child")} <= set(range(len(items)))
        if not ok or "::" not in str(rel.get("type")):
            out.append(f"relation {rel}")
    return out


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass

    def _reply(self, status: int, doc: Any) -> None:
        data = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("API-Version", "4.1")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> Any:
        size = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(size) if size else b""
        return json.loads(raw) if raw else None

    def _handle(self) -> None:
        rec = self.server.receiver
        parts = urlsplit(self.path)
        body = self._body()
        rec.requests.append((self.command, self.path, body))
        if rec.delay_s:
            threading.Event().wait(rec.delay_s)
        if rec.fail_next:
            self._reply(rec.fail_next.pop(0), {"error": {"message": "try later"}})
            return
        self.server.route(self, parts.path, parse_qs(parts.query), body)

    do_GET = do_POST = do_PATCH = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, receiver: Receiver, route: Any) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.receiver, self.route = receiver, route

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (the slow-receiver case) breaks the pipe: expected, quiet."""


def snow_route(h: _Handler, path: str, query: dict[str, list[str]], body: Any) -> None:
    rec = h.server.receiver
    if h.command != "POST" or path != "/api/now/identifyreconcile":
        rec.problems.append(f"{h.command} {path}")
        h._reply(404, {"error": "no such API"})
        return
    bad = _snow_problems(query, h.headers.get("Authorization", ""), body)
    if h.headers.get("Content-Type") != "application/json":
        bad.append("Content-Type")
    if bad:
        rec.problems += bad
        h._reply(400, {"error": {"message": "; ".join(bad)}})
        return
    if body["items"][0]["values"].get("name") in rec.refuse_names:
        h._reply(400, {"error": {"message": f"Bearer {TOKEN} rejected", "detail": "bad CI"}})
        return
    items = [
        {"className": i["className"], "operation": "INSERT", "sysId": f"sys{n:04d}"}
        for n, i in enumerate(body["items"])
    ]
    h._reply(201, {"result": {"items": items, "relations": []}})


def _matches(obj: dict[str, Any], query: dict[str, list[str]]) -> bool:
    for key, values in query.items():
        if key in ("limit", "offset", "brief"):
            continue
        have = obj["device"]["id"] if key == "device_id" else obj.get(key)
        if str(have) != values[0]:
            return False
    return True


def netbox_route(h: _Handler, path: str, query: dict[str, list[str]], body: Any) -> None:
    rec = h.server.receiver
    if h.headers.get("Authorization") != f"Token {TOKEN}":
        rec.problems.append(f"{h.command} {path}: Authorization header")
        h._reply(403, {"detail": "Invalid token"})
        return
    parts = [p for p in path.split("/") if p]
    if parts[:2] != ["api", "dcim"] or len(parts) < 3 or parts[2] not in rec.store:
        rec.problems.append(f"{h.command} {path}")
        h._reply(404, {"detail": "Not found."})
        return
    table = rec.store[parts[2]]
    if h.command == "GET":
        found = [o for o in table.values() if _matches(o, query)]
        h._reply(200, {"count": len(found), "next": None, "previous": None, "results": found})
    elif h.command == "POST":
        _netbox_create(h, parts[2], table, body)
    else:  # PATCH /api/dcim/<table>/<id>/
        obj = table[int(parts[3])]
        obj.update(body)
        h._reply(200, obj)


def _netbox_create(h: _Handler, kind: str, table: dict[int, Any], body: Any) -> None:
    rec = h.server.receiver
    need = {"name", "device_type", "role", "site"} if kind == "devices" else {"name", "device"}
    if not isinstance(body, dict) or not need <= set(body):
        rec.problems.append(f"POST {kind}: missing {need - set(body or {})}")
        h._reply(400, {"detail": "missing fields"})
        return
    if body["name"] in rec.refuse_names:
        h._reply(400, {"site": ["Related object not found using the provided attributes"]})
        return
    new_id = len(rec.store["devices"]) + len(rec.store["inventory-items"]) + 1
    obj = {**body, "id": new_id, "url": f"{rec.url}/api/dcim/{kind}/{new_id}/"}
    if kind == "inventory-items":
        obj["device"] = {
            "id": body["device"],
            "url": f"{rec.url}/api/dcim/devices/{body['device']}/",
        }
    table[new_id] = obj
    h._reply(201, obj)


@contextmanager
def serve(route: Any) -> Iterator[Receiver]:
    rec = Receiver()
    server = _Server(rec, route)
    rec.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield rec
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
