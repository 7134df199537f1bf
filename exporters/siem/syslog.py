"""RFC 5424 syslog messages with structured data, and RFC 6587 octet-counting framing.

    <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD-ID PARAM="VALUE" ...] MSG

PRI is facility local0 (16) * 8 + the syslog severity of the event. HOSTNAME is the host the
event is about (printable US-ASCII, no spaces, at most 255; else "-"). MSGID is the event type.
The SD-ID `diagctl@32473` uses 32473, the private enterprise number IANA reserves for
documentation examples (RFC 5612); SD values escape `"`, `\\` and `]` with a backslash.

Control characters (newline, escape...) are written as `#` and three octal digits, the way
rsyslog itself shows them, so one event is always one line on stdout and in the receiver's
files. Other Unicode is sent as UTF-8.
"""

from __future__ import annotations

import json
import re

from exporters.siem.events import Event

FACILITY = 16  # local0
# our severity -> syslog severity (2 crit, 3 err, 4 warning, 5 notice, 6 info)
SYSLOG_SEVERITY = {"critical": 2, "high": 3, "medium": 4, "low": 5, "info": 6}
SD_ID = "diagctl@32473"
APP_NAME = "diagctl"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_NOT_PRINTUSASCII = re.compile(r"[^\x21-\x7e]")


def _octal(match: re.Match[str]) -> str:
    return f"#{ord(match.group()):03o}"


def clean(text: str) -> str:
    return _CONTROL.sub(_octal, text)


def header_field(text: str, limit: int) -> str:
    """A header field: printable US-ASCII without spaces, else '-' (RFC 5424 NILVALUE)."""
    cut = _NOT_PRINTUSASCII.sub("_", text)[:limit]
    return cut or "-"


def sd_value(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return clean(text.replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]"))


def message(ev: Event) -> str:
    """One RFC 5424 message (without framing)."""
    pri = FACILITY * 8 + SYSLOG_SEVERITY.get(ev.severity, 5)
    params = {"id": ev.id, "kind": ev.source_kind, "status": ev.status,
              "severity": ev.severity, "check": ev.check_id, "entity": ev.entity,
              "action": ev.action, "outcome": ev.outcome, "host_id": ev.host.host_id,
              "version": ev.tool_version}  # fmt: skip
    sd = " ".join(f'{k}="{sd_value(v)}"' for k, v in params.items() if v != "")
    host = header_field(ev.host.name, 255)
    msgid = header_field(ev.type, 32)
    stamp = header_field(ev.at, 64)
    return f"<{pri}>1 {stamp} {host} {APP_NAME} - {msgid} [{SD_ID} {sd}] {clean(ev.message)}"


def octet_frame(msg: str) -> bytes:
    """RFC 6587 octet counting: `LEN SP MSG`, LEN the byte length of the UTF-8 message."""
    data = msg.encode("utf-8", "replace")
    return str(len(data)).encode() + b" " + data
