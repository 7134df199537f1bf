"""`diagctl ingest`: judge raw results another engine collected (the Ansible playbooks).

The collector leaves a `--out`-shaped tree: DIR/hosts/<enc>/raw/{stdout.bin, stderr.bin} and,
written last, DIR/hosts/<enc>/collected.json (schemas/ingest.py). `IngestTransport` serves those
bytes through the replay seam, so the same `check_host` / `reset_host` code that judges a live
or `--replay` run judges them: same parsers, same policy, same envelopes. Unlike a replay, an
ingested envelope is the first judgement of a fresh collection: it carries the collector's
`collected_at` and no `replayed` marker.

Registry seam: ingest emits envelopes through the same `emit`/`--out` path as `diagctl health`;
the lifecycle registry, when present, records them from that stream like any other run.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from diag.artifacts import HOSTS, host_dirname, host_name_of
from diag.errors import FileError, InventoryError
from diag.transport.base import CommandResult, ErrorKind, Target
from diag.transport.replay import Recorded, ReplayTransport
from diag.transport.ssh_common import become_result
from schemas.envelope import Replayed
from schemas.ingest import COLLECTED_VERSION, CollectedRecord

RECORD = "collected.json"
MAX_RECORD_BYTES = 1 << 20

# What OpenSSH and Ansible say, most specific first -> the envelope's error kind.
_SAYINGS: tuple[tuple[str, ErrorKind], ...] = (
    ("remote host identification has changed", "host_key_changed"),
    ("host key is known for", "host_key_unknown"),
    ("host key verification failed", "host_key_unknown"),
    ("permission denied (", "auth"),
    ("too many authentication failures", "auth"),
    ("sudo:", "become_failed"),
    ("connection timed out", "timeout"),
    ("operation timed out", "timeout"),
    ("in the expected time frame", "timeout"),  # Ansible's task `timeout:` fired
    ("connection refused", "unreachable"),
    ("no route to host", "unreachable"),
    ("network is unreachable", "unreachable"),
    ("could not resolve hostname", "unreachable"),
)


def classify(message: str) -> ErrorKind:
    """The error kind of a collector's failure text; `transport` when nothing matches."""
    low = message.lower()
    return next((kind for said, kind in _SAYINGS if said in low), "transport")


@dataclass(frozen=True)
class Collected:
    """One host directory: its record, or why it cannot be judged (an incomplete fetch)."""

    name: str
    hdir: Path
    record: CollectedRecord | None
    problem: str = ""


def _newer(version: str) -> bool:
    try:
        return int(version.split(".")[0]) > int(COLLECTED_VERSION.split(".")[0])
    except ValueError:
        return True


def _raw_problem(hdir: Path, rec: CollectedRecord) -> str:
    for name, want in rec.raw.items():
        try:
            data = (hdir / "raw" / name).read_bytes()
        except OSError as exc:
            return f"incomplete fetch: raw/{name}: {exc.strerror or exc}"
        if len(data) != want.bytes or hashlib.sha256(data).hexdigest() != want.sha256:
            return (
                f"incomplete fetch: raw/{name} has {len(data)} bytes, "
                f"{RECORD} lists {want.bytes} (or its sha256 differs)"
            )
    return ""


def load_one(hdir: Path) -> Collected:
    """One host directory. A record another diagctl wrote with a newer schema, or one that
    does not validate, is a usage error naming the file and field; a missing or unreadable
    record is an incomplete fetch (the collector stopped before writing it)."""
    path = hdir / RECORD
    fallback = host_name_of(hdir.name)
    name = hdir.name if fallback is None else fallback
    try:
        text = path.read_bytes()[:MAX_RECORD_BYTES]
        doc = json.loads(text)
    except (OSError, ValueError, RecursionError) as exc:
        why = getattr(exc, "strerror", None) or type(exc).__name__
        return Collected(name, hdir, None, f"incomplete fetch: no usable {RECORD} ({why})")
    version = doc.get("schema_version", "") if isinstance(doc, dict) else ""
    if isinstance(version, str) and version and _newer(version):
        raise FileError(
            f"{path}: schema_version {version} is newer than this diagctl reads "
            f"({COLLECTED_VERSION}); upgrade diagctl on this host"
        )
    try:
        rec = CollectedRecord.model_validate(doc)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "(document)"
        raise FileError(f"{path}: {field}: {err['msg']}") from None
    if host_dirname(rec.host.name) != hdir.name:
        raise FileError(f"{path}: host.name {rec.host.name!r} does not belong in {hdir.name}/")
    return Collected(rec.host.name, hdir, rec, _raw_problem(hdir, rec))


def load_collected(root: Path) -> dict[str, Collected]:
    """Every host directory under DIR/hosts/, by host name (sorted)."""
    base = root / HOSTS
    if not base.is_dir():
        raise InventoryError(f"ingest {root}: no {HOSTS}/ directory (is this a playbook's out?)")
    found = [load_one(d) for d in sorted(base.iterdir()) if d.is_dir()]
    if not found:
        raise InventoryError(f"ingest {root}: no host directories under {HOSTS}/")
    return {c.name: c for c in sorted(found, key=lambda c: c.name)}


def kinds_of(hosts: dict[str, Collected]) -> set[str]:
    return {c.record.kind for c in hosts.values() if c.record is not None}


class IngestTransport(ReplayTransport):
    """Serves a collector's records through the replay seam (same targets, same judging)."""

    name = "ingest"

    def __init__(self, root: Path, hosts: dict[str, Collected]) -> None:
        super().__init__(root)
        self.collected = hosts
        self._dirs = {name: c.hdir for name, c in hosts.items()}

    def hosts(self) -> list[str]:
        return list(self.collected)

    def recorded(self, name: str) -> Recorded:
        rec = self.collected[name].record
        if rec is None:
            return Recorded()
        return Recorded(rec.host.address, rec.host.host_class, rec.collected_at)

    def provenance(self, name: str, now: str) -> tuple[str, Replayed | None]:
        return self.recorded(name).collected_at or now, None

    async def run(
        self, host: Target, command: Sequence[str], stdin: bytes, timeout: float
    ) -> CommandResult:
        c = self.collected[host.name]
        if c.record is None or c.problem:
            return CommandResult(None, error="transport", message=c.problem)
        rec = c.record
        raw = c.hdir / "raw"
        if "stdout.bin" not in rec.raw:
            msg = rec.message or f"the collector reported {rec.outcome} and kept no output"
            return CommandResult(None, error=classify(msg), message=f"(ansible) {msg}")
        err = raw / "stderr.bin"
        res = CommandResult(
            rec.rc,
            (raw / "stdout.bin").read_bytes(),
            err.read_bytes() if "stderr.bin" in rec.raw else b"",
        )
        return become_result(res) if "sudo -n" in rec.command else res


def ingest_targets(
    root: Path, kind: str | None, limit: str = ""
) -> tuple[str, list[Target], IngestTransport]:
    """(the envelope kind to judge as, the recorded hosts narrowed by --limit, their transport).

    `kind` (health.l1 / reset_reason) must match what the collector recorded; None takes it
    from the records. A directory mixing kinds is refused.
    """
    from diag.session import replay_targets

    hosts = load_collected(root)
    kinds = kinds_of(hosts)
    if len(kinds) > 1:
        raise InventoryError(f"ingest {root}: mixes collections of kinds {sorted(kinds)}")
    found = next(iter(kinds), None)
    if kind is not None and found is not None and kind != found:
        raise InventoryError(f"ingest {root}: holds {found} results, not {kind}")
    chosen = kind or found
    if chosen is None:
        raise InventoryError(f"ingest {root}: no host has a {RECORD}; say which with --kind")
    rt = IngestTransport(root, hosts)
    return chosen, replay_targets(rt, limit), rt
