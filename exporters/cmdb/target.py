"""Where a CMDB push goes and how its failures read: shared by the ServiceNow and NetBox push."""

from __future__ import annotations

from dataclasses import dataclass, field

from diag import redact
from diag.textsafe import safe_text
from exporters.cmdb import netbox, servicenow

ATTEMPTS = 3  # per request: the first try and two retries (5xx, 429, connection errors)
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})  # the receiver is down or busy, not refusing


@dataclass(frozen=True)
class PushTarget:
    url: str  # the instance's base URL, e.g. https://example.service-now.com
    token: str
    timeout_s: float = 30.0
    place: netbox.NetboxPlace = field(default_factory=netbox.NetboxPlace)
    gpu_class: str = servicenow.GPU_CLASS


class PushFailed(Exception):
    """One host's push failed; the message is safe to keep (redacted, one line). `retryable`:
    the receiver was down, slow, or answered 5xx/429, so the record waits in the spool."""

    def __init__(self, message: str, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


def clean(target: PushTarget, text: str) -> str:
    """One line, at most 300 characters, the token masked, control characters made visible."""
    return safe_text(redact.text(" ".join(text.split())[:300], (target.token,)))
