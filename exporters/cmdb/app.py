"""`diagctl export cmdb` as a library call: envelopes in, the export text (dry-run) or the
push audit records out. The CLI only parses options and prints."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from diag.errors import OutputError, UsageError
from exporters.cmdb import csvout, netbox, servicenow
from exporters.cmdb.assets import assets
from schemas.cmdb import PushAudit
from schemas.envelope import Envelope

Format = Literal["servicenow", "netbox", "csv"]
TOKEN_ENV = "DIAGCTL_CMDB_TOKEN"


@dataclass(frozen=True)
class CmdbArgs:
    format: Format
    push_url: str | None = None
    token_file: Path | None = None
    audit: Path | None = None
    timeout_s: float = 30.0
    place: netbox.NetboxPlace = field(default_factory=netbox.NetboxPlace)
    gpu_class: str = servicenow.GPU_CLASS
    spool: Path | None = None  # None: default_spool(format)
    spool_max_mb: float = 64.0
    drain_only: bool = False  # push only what the spool holds; read no input


@dataclass
class CmdbResult:
    text: str = ""  # dry-run: the payloads (JSONL) or the CSV
    pushed: list[PushAudit] = field(default_factory=list)
    drained: int = 0
    spooled: int = 0
    dropped: int = 0
    pending: int = 0  # records waiting in the spool after this run
    spool: Path | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return sum(1 for a in self.pushed if a.result == "failed")


def default_spool(fmt: str, state: Path) -> Path:
    """STATE/spool/cmdb-<format> (STATE: $XDG_STATE_HOME/diagctl)."""
    return state / "spool" / f"cmdb-{fmt}"


def token(token_file: Path | None, env: Mapping[str, str] = os.environ) -> str:
    """The push token from --token-file, else $DIAGCTL_CMDB_TOKEN; never from the command line."""
    if token_file is not None:
        try:
            value = token_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"--token-file {token_file}: unreadable: {exc}") from exc
        if not value:
            raise UsageError(f"--token-file {token_file}: empty")
        return value
    value = env.get(TOKEN_ENV, "").strip()
    if not value:
        raise UsageError(f"--push needs a token: --token-file PATH or ${TOKEN_ENV}")
    return value


def check(args: CmdbArgs) -> None:
    """Refuse bad options before anything is read or sent."""
    if args.push_url is None:
        if args.drain_only:
            raise UsageError("--drain needs --push URL")
        return
    if args.format == "csv":
        raise UsageError("--push: csv is a file format; push with --format servicenow or netbox")
    parts = urlsplit(args.push_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"--push {args.push_url!r}: not an http(s) URL")
    if parts.username or parts.password:
        raise UsageError("--push: credentials in the URL; use --token-file or $DIAGCTL_CMDB_TOKEN")
    if args.audit is not None and args.audit.is_dir():
        raise OutputError(f"--audit {args.audit}: is a directory")
    if args.spool is not None and args.spool.exists() and not args.spool.is_dir():
        raise OutputError(f"--spool {args.spool}: not a directory")
    if args.spool_max_mb <= 0:
        raise UsageError(f"--spool-max-mb {args.spool_max_mb}: must be above 0")


def dry_run(args: CmdbArgs, envelopes: Iterable[Envelope]) -> str:
    records = assets(envelopes)
    if args.format == "csv":
        return csvout.render(records)
    if args.format == "servicenow":
        docs = [servicenow.payload(r, args.gpu_class).model_dump_json() for r in records]
    else:
        docs = [netbox.payload(r, args.place).model_dump_json() for r in records]
    return "".join(d + "\n" for d in docs)


def run(args: CmdbArgs, envelopes: Iterable[Envelope], state: Path) -> CmdbResult:
    """Dry-run unless `args.push_url`; a push appends every host's outcome to the audit log
    (default STATE/cmdb-audit.jsonl) and spools what the receiver could not take now."""
    check(args)
    if args.push_url is None:
        return CmdbResult(text=dry_run(args, envelopes))
    from exporters.cmdb.audit import append
    from exporters.cmdb.deliver import deliver
    from exporters.cmdb.push import pusher
    from exporters.cmdb.target import PushTarget
    from exporters.spool import Spool

    secret = token(args.token_file)
    target = PushTarget(args.push_url, secret, args.timeout_s, args.place, args.gpu_class)
    root = args.spool or default_spool(args.format, state)
    spool = Spool(root, max_bytes=int(args.spool_max_mb * 1024 * 1024), suffix=".json")
    records = [] if args.drain_only else assets(envelopes)
    done = deliver(args.format, target, records, spool, pusher(args.format))
    path = args.audit or state / "cmdb-audit.jsonl"
    try:
        append(path, done.audits, (secret,))
    except OSError as exc:
        raise OutputError(f"--audit {path}: cannot append: {exc.strerror or exc}") from exc
    return CmdbResult(
        pushed=done.audits,
        drained=done.drained,
        spooled=done.spooled,
        dropped=done.dropped,
        pending=len(spool.entries()),
        spool=root,
        problems=done.problems,
    )
