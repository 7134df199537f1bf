"""Where exporters read envelopes from: JSONL streams (stdin, a file) and `--out` run directories.

Every exporter is a filter over the same input, so the reading, and what happens to bad input,
lives here once. A line that is not an envelope is skipped and counted, with its origin and line
number, never a crash: a SIEM pipeline fed one truncated line must still get the other thousand.

    <stdin> / FILE.jsonl       one JSON envelope per line (what `diagctl health` prints in a pipe)
    RUN_DIR/                   a `--out` tree: RUN_DIR/hosts/<host>/envelope.json
    RUN_DIR/run.json           the run summary; read for the run's metadata, not as an envelope

Envelopes are validated against the generic `schemas.envelope.Envelope` (`data` stays a dict):
the per-kind mapping tables of each exporter read `data` by kind. A JSONL line of a
`probe run --audit FILE` log is an AuditRecord, not an envelope: it is wrapped into the
`probe.audit` envelope `probe run` itself prints for it, so every exporter reads audit logs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from pydantic import ValidationError

from diag.textsafe import safe_text
from schemas.envelope import Envelope

MAX_LINE_BYTES = 4 << 20  # an envelope is bounded far below this (docs/envelope.md)
MAX_PROBLEMS = 20  # problems kept verbatim; the rest are only counted


@dataclass
class SourceStats:
    """What was read, and what was skipped and why (the first MAX_PROBLEMS reasons)."""

    read: int = 0
    skipped: int = 0
    problems: list[str] = field(default_factory=list)

    def skip(self, origin: str, reason: str) -> None:
        self.skipped += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(safe_text(f"{origin}: {reason}"))

    def summary(self) -> str:
        """One line for stderr; empty when nothing was skipped."""
        if not self.skipped:
            return ""
        first = self.problems[0] if self.problems else ""
        return f"skipped {self.skipped} of {self.read + self.skipped} inputs (first: {first})"


def parse_envelope(raw: bytes | str, origin: str, stats: SourceStats) -> Envelope | None:
    """One envelope from one JSON text, or None with the reason counted in `stats`."""
    if len(raw) > MAX_LINE_BYTES:
        stats.skip(origin, f"{len(raw)} bytes, over the {MAX_LINE_BYTES}-byte limit")
        return None
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        stats.skip(origin, f"not JSON ({str(exc)[:80]})")
        return None
    if not isinstance(doc, dict):
        stats.skip(origin, f"not an envelope: a JSON {type(doc).__name__}")
        return None
    try:
        env = Envelope.model_validate(doc)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "(top)"
        stats.skip(origin, f"not an envelope: {where}: {err['msg']}")
        return None
    stats.read += 1
    return env


def audit_line(line: bytes) -> bytes:
    """An audit-log line as an envelope line; any other line as it is (the envelope reader
    counts it if it is bad)."""
    if b'"who"' not in line or b'"tool_version"' in line:
        return line
    from schemas.probe import AuditRecord

    try:
        rec = AuditRecord.model_validate_json(line)
    except ValidationError:
        return line
    from probes.envelopes import audit_envelope

    env: Envelope = audit_envelope(rec)
    return env.model_dump_json().encode()


def from_lines(lines: Iterable[bytes], name: str, stats: SourceStats) -> Iterator[Envelope]:
    """Envelopes from a JSONL stream (audit-log lines wrapped); blank lines are ignored,
    everything else counts."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        env = parse_envelope(audit_line(line), f"{name}:{number}", stats)
        if env is not None:
            yield env


def from_run_dir(root: Path, stats: SourceStats) -> Iterator[Envelope]:
    """Envelopes of a `--out` directory, host by host in name order."""
    from diag.artifacts import recorded_hosts

    hosts = recorded_hosts(root)
    if not hosts:
        stats.skip(str(root), "no hosts/<host>/envelope.json under it (not a --out directory?)")
    for directory in hosts.values():
        path = directory / "envelope.json"
        try:
            raw = path.read_bytes()
        except OSError as exc:
            stats.skip(str(path), f"unreadable: {exc.strerror or exc}")
            continue
        env = parse_envelope(raw, str(path), stats)
        if env is not None:
            yield env


def from_path(path: Path, stats: SourceStats) -> Iterator[Envelope]:
    """A `--from` argument: a run directory, or a JSONL file."""
    if path.is_dir():
        yield from from_run_dir(path, stats)
        return
    try:
        fh = path.open("rb")
    except OSError as exc:
        stats.skip(str(path), f"unreadable: {exc.strerror or exc}")
        return
    with fh:
        yield from from_lines(fh, str(path), stats)


def envelopes(
    paths: Iterable[Path], stdin: BinaryIO | None, stats: SourceStats
) -> Iterator[Envelope]:
    """Every envelope of the `--from` paths in order, or of stdin when there are none."""
    listed = list(paths)
    if not listed and stdin is not None:
        yield from from_lines(stdin, "<stdin>", stats)
        return
    for path in listed:
        yield from from_path(path, stats)
