"""Input for the SIEM export: envelopes (exporters/source.py), plus the raw lines of a
`probe run --audit FILE` log, which are AuditRecords, not envelopes. Such a line is wrapped
into the `probe.audit` envelope `probe run` itself would have printed for it; any other line
goes to the envelope reader unchanged (and is counted there if it is bad)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from pydantic import ValidationError

from exporters.source import SourceStats, from_lines, from_run_dir
from schemas.envelope import Envelope
from schemas.probe import AuditRecord


def audit_line(line: bytes) -> bytes:
    """An audit-log line as an envelope line; other lines as they are."""
    if b'"who"' not in line or b'"tool_version"' in line:
        return line
    try:
        rec = AuditRecord.model_validate_json(line)
    except ValidationError:
        return line
    from probes.envelopes import audit_envelope

    env: Envelope = audit_envelope(rec)
    return env.model_dump_json().encode()


def _adapted(lines: Iterable[bytes]) -> Iterator[bytes]:
    for line in lines:
        yield audit_line(line)


def envelopes(
    paths: Iterable[Path], stdin: BinaryIO | None, stats: SourceStats
) -> Iterator[Envelope]:
    """Like exporters.source.envelopes, with audit-log lines accepted in JSONL input."""
    listed = list(paths)
    if not listed and stdin is not None:
        yield from from_lines(_adapted(stdin), "<stdin>", stats)
        return
    for path in listed:
        if path.is_dir():
            yield from from_run_dir(path, stats)
            continue
        try:
            fh = path.open("rb")
        except OSError as exc:
            stats.skip(str(path), f"unreadable: {exc.strerror or exc}")
            continue
        with fh:
            yield from from_lines(_adapted(fh), str(path), stats)
