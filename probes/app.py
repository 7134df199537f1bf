"""`diagctl probe` as a library: load a targets file strictly, run one round, record golden
texts. No click and no printing: diag/cli/probe.py renders what these return."""

from __future__ import annotations

import asyncio
import importlib
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from diag import redact
from diag.config import state_dir
from diag.envelope import utc_now
from diag.errors import UsageError
from diag.files import load_yaml, read_text, yaml_problem
from diag.transport.base import Transport
from probes.client import target_secrets
from probes.envelopes import interrupted_envelope
from probes.restart import ssh_settings
from probes.round import RoundResult, RunOptions
from probes.runner import run_round
from schemas.probe import GroupConfig, ProbeEnvelope, TargetsFile


@dataclass(frozen=True)
class ProbeArgs:
    """What `diagctl probe run` was asked to do; paths default under state_dir()."""

    state: Path | None = None
    audit: Path | None = None
    prom: Path | None = None
    act: bool = False
    lock_wait_s: float = 30.0
    concurrency: int = 256


@dataclass
class RoundOutcome:
    """A finished round, or the envelopes of a round stopped by Ctrl-C / SIGTERM."""

    result: RoundResult | None = None
    interrupted: list[ProbeEnvelope] = field(default_factory=list)


def _where(loc: tuple[int | str, ...], raw: dict[str, Any]) -> str:
    """`targets[2] 'gpu-a': url` for a pydantic error location (the entry and the field)."""
    if len(loc) >= 2 and loc[0] == "targets" and isinstance(loc[1], int):
        items = raw.get("targets")
        item = items[loc[1]] if isinstance(items, list) and loc[1] < len(items) else None
        name = item.get("name") if isinstance(item, dict) else None
        entry = f"targets[{loc[1]}]" + (f" {name!r}" if isinstance(name, str) else "")
        rest = ".".join(str(x) for x in loc[2:])
        return f"{entry}: {rest}" if rest else entry
    return ".".join(str(x) for x in loc)


def one_line(exc: ValidationError, raw: dict[str, Any] | None = None) -> str:
    """The first errors, each as `where: what`. Never the input value: it may be a secret."""
    parts = []
    for err in exc.errors()[:5]:
        msg = err["msg"].removeprefix("Value error, ")
        where = _where(tuple(err["loc"]), raw or {})
        parts.append(f"{where}: {msg}" if where else msg)
    more = f" (+{exc.error_count() - 5} more)" if exc.error_count() > 5 else ""
    return "; ".join(parts) + more


def load_targets(path: Path) -> TargetsFile:
    """The targets file as a strict model; any problem is a UsageError naming file/entry/field."""
    raw = None
    try:
        raw = load_yaml(read_text(path, "targets"))
    except yaml.YAMLError as exc:
        # Only the problem and its position: PyYAML's own text can quote the line, and the
        # line can hold a URL with a password.
        raise UsageError(redact.text(f"{path}: not valid YAML: {yaml_problem(exc)}")) from exc
    if not isinstance(raw, dict):
        raise UsageError(f"{path}: expected a mapping with 'targets:' (and 'groups:')")
    try:
        return TargetsFile.model_validate(raw)
    except ValidationError as exc:
        raise UsageError(redact.text(f"{path}: {one_line(exc, raw)}")) from exc


def secrets_of(tf: TargetsFile) -> set[str]:
    """Every literal secret the targets file holds (passwords, tokens), for redaction."""
    return set().union(*(target_secrets(t) for t in tf.targets))


def ssh_transport_factory() -> Callable[[GroupConfig], Transport | None]:
    """Per group, the asyncssh transport (imported lazily); None when it cannot be imported."""

    def make(cfg: GroupConfig) -> Transport | None:
        try:
            mod = importlib.import_module("diag.transport.asyncssh_transport")
            common = importlib.import_module("diag.transport.ssh_common")
        except ImportError:
            return None
        # A restart is one short command, often through a key restricted by `command=` that
        # checks SSH_ORIGINAL_COMMAND: it goes to the host exactly as configured.
        settings = common.SSHSettings(
            **ssh_settings(cfg, cfg.connect_timeout_s), host_deadline=False
        )
        transport: Transport = mod.AsyncSSHTransport(settings)
        return transport

    return make


def _sigterm(signum: int, frame: object) -> None:
    """cron's or systemd's SIGTERM ends the round like Ctrl-C: every target still reported."""
    raise KeyboardInterrupt


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    previous = signal.signal(signal.SIGTERM, _sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def probe_round(tf: TargetsFile, args: ProbeArgs) -> RoundOutcome:
    """One round over every target. A bad state/output file is a UsageError; Ctrl-C or
    SIGTERM gives every target an `interrupted` envelope instead of a result."""
    sdir = state_dir()
    opts = RunOptions(
        state_path=args.state or sdir / "probe-state.json",
        audit_path=args.audit or sdir / "probe-audit.jsonl",
        act=args.act,
        prom_path=args.prom,
        lock_wait_s=args.lock_wait_s,
        concurrency=args.concurrency,
        transport_factory=ssh_transport_factory(),
    )
    started = utc_now()
    try:
        with _sigterm_as_interrupt():
            return RoundOutcome(result=asyncio.run(run_round(tf, opts)))
    except KeyboardInterrupt:
        return RoundOutcome(
            interrupted=[interrupted_envelope(t, started, args.act) for t in tf.targets]
        )
    except OSError as exc:
        raise UsageError(redact.text(f"{exc.filename or ''}: {exc.strerror or exc}")) from exc


def record_golden(tf: TargetsFile) -> tuple[TargetsFile, list[str]]:
    """Probe once; the targets file with each healthy target's golden_text, and notes."""
    from probes import golden

    new, notes = asyncio.run(golden.record(tf))
    secrets = secrets_of(tf)
    return new, [redact.text(n, secrets) for n in notes]
