"""The four output formats: each turns one event into one line of text (JSON or RFC 5424)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator

from exporters.siem import ecs, hec, ocsf, syslog
from exporters.siem.events import Event, project
from schemas.envelope import Envelope


def _json(doc: Callable[[Event], object]) -> Callable[[Event], str]:
    def line(ev: Event) -> str:
        return json.dumps(doc(ev), ensure_ascii=False, separators=(",", ":"), default=str)

    return line


FORMATS: dict[str, Callable[[Event], str]] = {
    "ecs": _json(ecs.document),
    "ocsf": _json(ocsf.document),
    "hec": _json(hec.document),
    "syslog": syslog.message,
}


def events(envelopes: Iterable[Envelope]) -> Iterator[Event]:
    for env in envelopes:
        yield from project(env)


def lines(envelopes: Iterable[Envelope], fmt: str) -> Iterator[str]:
    """One line per event, in envelope order (no trailing newline)."""
    render = FORMATS[fmt]
    for ev in events(envelopes):
        yield render(ev)
