"""`diagctl report --html` as a library call: check the output path, read, render, write."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from diag.envelope import utc_now
from diag.errors import OutputError, UsageError
from schemas.envelope import Envelope


def check_out(out: Path | None) -> None:
    """Refuse an output path that cannot be a file, before anything is read."""
    if out is None:
        return
    if out.is_dir():
        raise OutputError(f"--out {out}: is a directory; name the HTML file")
    if out.parent.exists() and not out.parent.is_dir():
        raise OutputError(f"--out {out}: {out.parent} is not a directory")


def report(envelopes: Iterable[Envelope], title: str, out: Path | None) -> str:
    """The page; written atomically to `out` when given (and then also returned)."""
    try:
        from exporters.report.html import render
    except ImportError as exc:  # jinja2 is the `report` extra
        raise UsageError(
            f"report --html needs jinja2: pip install 'diagctl[report]' ({exc})"
        ) from exc
    page = render(envelopes, title, f"generated {utc_now()}")
    if out is not None:
        from diag.files import atomic_write

        try:
            atomic_write(out, page.encode())
        except OSError as exc:
            raise OutputError(f"--out {out}: cannot write: {exc.strerror or exc}") from exc
    return page
