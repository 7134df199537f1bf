"""Send CMDB payloads: ServiceNow IRE over plain HTTPS (urllib), NetBox through pynetbox.

Every host is pushed on its own: a receiver that refuses one host (4xx), fails (5xx) or is down
yields a failed `PushAudit` for that host and the next host is still tried. 5xx, 429 and
connection errors are retried (ATTEMPTS in all, with backoff); the upserts are idempotent (the
CMDB identifies by serial, then name), so a retry or a later re-run never duplicates an asset.
The token travels only in the Authorization header and is masked in every message we keep.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from diag import redact
from diag.envelope import utc_now
from diag.textsafe import safe_text
from exporters.cmdb import servicenow
from exporters.cmdb.audit import who
from exporters.cmdb.target import ATTEMPTS, RETRY_STATUS, PushFailed, PushTarget, clean
from schemas.cmdb import AssetRecord, PushAudit

BACKOFF_S = (0.2, 1.0)


def _snow_once(target: PushTarget, body: bytes) -> dict[str, Any]:
    url = f"{target.url.rstrip('/')}{servicenow.PATH}?sysparm_data_source={servicenow.DATA_SOURCE}"
    req = urllib.request.Request(url, data=body, method="POST")
    req.add_header("Authorization", f"Bearer {target.token}")
    req.add_header("Content-Type", "application/json")
    req.add_header("Accept", "application/json")
    with urllib.request.urlopen(req, timeout=target.timeout_s) as resp:
        doc = json.loads(resp.read(1 << 20) or b"{}")
    return doc if isinstance(doc, dict) else {}


def _retrying(target: PushTarget, call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    retryable = True
    for attempt in range(ATTEMPTS):
        try:
            return call()
        except urllib.error.HTTPError as exc:
            body = exc.read(400).decode("utf-8", "replace")
            last = f"HTTP {exc.code}: {body}"
            if exc.code not in RETRY_STATUS:
                retryable = False
                break
        except (urllib.error.URLError, OSError, ValueError) as exc:
            last = f"receiver unreachable or unreadable: {getattr(exc, 'reason', exc)}"
        if attempt < ATTEMPTS - 1:
            time.sleep(BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)])
    raise PushFailed(clean(target, last), retryable)


def push_servicenow(target: PushTarget, rec: AssetRecord) -> str:
    """POST one IRE payload; the IRE's per-item operations, or PushFailed."""
    body = servicenow.payload(rec, target.gpu_class).model_dump_json().encode()
    doc = _retrying(target, lambda: _snow_once(target, body))
    result = doc.get("result", doc)  # the Table API wraps answers in "result"; the IRE may not
    items = result.get("items") if isinstance(result, dict) else None
    if not isinstance(items, list):
        raise PushFailed(clean(target, f"unexpected IRE answer: {json.dumps(doc)[:200]}"))
    errors = [e for i in items if isinstance(i, dict) for e in i.get("errors") or []]
    if errors:
        raise PushFailed(clean(target, f"IRE errors: {json.dumps(errors)[:250]}"))
    ops = [str(i.get("operation", "?")) for i in items if isinstance(i, dict)]
    return clean(target, "IRE " + ",".join(ops))


def pusher(fmt: str) -> Callable[[PushTarget, AssetRecord], str]:
    """The push function of a format (NetBox's imports pynetbox, so only when pushing)."""
    if fmt == "servicenow":
        return push_servicenow
    from exporters.cmdb.netbox_push import push_netbox

    return push_netbox


def audit(fmt: str, target: PushTarget, rec: AssetRecord, result: str, detail: str) -> PushAudit:
    """One audit record: which host, identified how, what happened."""
    return PushAudit(
        at=utc_now(),
        who=who(),
        format="servicenow" if fmt == "servicenow" else "netbox",
        url=redact.url(target.url),
        host=safe_text(rec.name),
        identity=safe_text(servicenow.identity(rec)),
        result=result,  # type: ignore[arg-type]
        detail=detail,
    )
