"""Pushgateway delivery: PUT the whole group `job/<job>/instance/<instance>`, spool on failure.

PUT replaces every metric of the group, so a host that left the fleet does not linger from an
older push; the group itself stays until it is deleted (`DELETE /metrics/job/<job>/instance/
<instance>`, `--delete`) when the jump host or cron job is decommissioned — Pushgateway never
expires groups on its own. An instance value that is not a plain word travels base64url-encoded
(`instance@base64/…`), as the Pushgateway API documents for values with `/`.

Receiver down (no connection, timeout, 5xx, 408, 429): the push goes to the spool (spool.py).
Other 4xx: the receiver refused this request and would refuse it again; reported, not spooled.
"""

from __future__ import annotations

import base64
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.client import HTTPException

from diag import redact
from exporters.prometheus.spool import Spool, Spooled

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
PLAIN = re.compile(r"[A-Za-z0-9_.:-]+")
RETRY_STATUS = frozenset({408, 429})


@dataclass(frozen=True)
class Gateway:
    url: str
    timeout_s: float = 10.0


@dataclass
class Outcome:
    sent: int = 0  # pushes delivered, drained ones included
    spooled: bool = False
    refused: str = ""  # a 4xx: the request itself is wrong
    notes: list[str] | None = None


def group_path(job: str, instance: str) -> str:
    if PLAIN.fullmatch(instance):
        return f"/metrics/job/{job}/instance/{instance}"
    b64 = base64.urlsafe_b64encode(instance.encode()).decode().rstrip("=") or "="
    return f"/metrics/job/{job}/instance@base64/{b64}"


def request(gw: Gateway, method: str, job: str, instance: str, body: bytes = b"") -> str:
    """Empty on success, "retry: why" when the receiver is down, else why it refused."""
    url = gw.url.rstrip("/") + group_path(job, instance)
    req = urllib.request.Request(url, data=body or None, method=method)
    req.add_header("Content-Type", CONTENT_TYPE)
    where = redact.url(gw.url)
    try:
        with urllib.request.urlopen(req, timeout=gw.timeout_s) as resp:
            resp.read(65536)
        return ""
    except urllib.error.HTTPError as exc:
        text = exc.read(300).decode("utf-8", "replace").strip()
        why = f"{where}: HTTP {exc.code} {redact.text(text)}".strip()
        return f"retry: {why}" if exc.code >= 500 or exc.code in RETRY_STATUS else why
    except (urllib.error.URLError, OSError, HTTPException) as exc:
        reason = getattr(exc, "reason", exc)
        return f"retry: {where}: {redact.text(str(reason))}"


def deliver(gw: Gateway, spool: Spool, job: str, instance: str, body: bytes) -> Outcome:
    """Drain the spool oldest first, then push `body`; spool it when the receiver is down."""
    out = Outcome(notes=[])
    assert out.notes is not None

    def send(item: Spooled) -> str:
        return request(gw, "PUT", item.job, item.instance, item.body)

    drained, why = spool.drain(send)
    out.sent += drained
    if not why:
        why = request(gw, "PUT", job, instance, body)
        if not why:
            out.sent += 1
            return out
    if not why.startswith("retry"):
        out.refused = why
        return out
    out.notes.append(f"receiver down ({why.removeprefix('retry: ')})")
    problem = spool.put(job, instance, body)
    out.spooled = not problem
    out.notes.append(problem or f"spooled in {spool.directory} ({len(spool.items())} pending)")
    return out


def delete(gw: Gateway, job: str, instance: str) -> str:
    """Remove the group (decommission). "" on success, else why."""
    return request(gw, "DELETE", job, instance).removeprefix("retry: ")
