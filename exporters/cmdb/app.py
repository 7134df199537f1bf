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


@dataclass
class CmdbResult:
    text: str = ""  # dry-run: the payloads (JSONL) or the CSV
    pushed: list[PushAudit] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return sum(1 for a in self.pushed if a.result == "failed")


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


def dry_run(args: CmdbArgs, envelopes: Iterable[Envelope]) -> str:
    records = assets(envelopes)
    if args.format == "csv":
        return csvout.render(records)
    if args.format == "servicenow":
        docs = [servicenow.payload(r, args.gpu_class).model_dump_json() for r in records]
    else:
        docs = [netbox.payload(r, args.place).model_dump_json() for r in records]
    return "".join(d + "\n" for d in docs)


def run(args: CmdbArgs, envelopes: Iterable[Envelope], audit_default: Path) -> CmdbResult:
    """Dry-run unless `args.push_url`; a push appends every host's outcome to the audit log."""
    check(args)
    if args.push_url is None:
        return CmdbResult(text=dry_run(args, envelopes))
    from exporters.cmdb.audit import append
    from exporters.cmdb.push import push_all
    from exporters.cmdb.target import PushTarget

    secret = token(args.token_file)
    target = PushTarget(args.push_url, secret, args.timeout_s, args.place, args.gpu_class)
    pushed = push_all(args.format, target, assets(envelopes))
    path = args.audit or audit_default
    try:
        append(path, pushed, (secret,))
    except OSError as exc:
        raise OutputError(f"--audit {path}: cannot append: {exc.strerror or exc}") from exc
    return CmdbResult(pushed=pushed)
