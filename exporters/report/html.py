"""Render the report page: jinja2 with autoescaping on, so host names, messages and probe
targets (host-controlled text) can never become markup. The page loads nothing: inline CSS and
SVG, a Content-Security-Policy that forbids every fetch, no URL in any src or href."""

from __future__ import annotations

from collections.abc import Iterable
from importlib.resources import files

from diag.textsafe import safe_text
from exporters.report.view import ReportView, build, sparkline
from schemas.envelope import Envelope

COLOURS = {
    "pass": "#2ca02c",
    "not_applicable": "#c7c7c7",
    "unknown": "#9e9e9e",
    "warn": "#ff7f0e",
    "error": "#8c564b",
    "fail": "#d62728",
    "unreachable": "#5b2a86",
}


def render_view(view: ReportView, title: str, generated: str) -> str:
    import jinja2

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    env.finalize = lambda value: safe_text(value) if isinstance(value, str) else value
    source = files("exporters.report").joinpath("page.html.j2").read_text(encoding="utf-8")
    template = env.from_string(source)
    return template.render(
        view=view, title=title, generated=generated, colours=COLOURS, sparkline=sparkline
    )


def render(envelopes: Iterable[Envelope], title: str, generated: str) -> str:
    return render_view(build(envelopes), title, generated)
