"""Glue between `diagctl probe run` and the probe library (kept out of diag/cli.py)."""

from __future__ import annotations

import asyncio
import importlib
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import yaml
from pydantic import ValidationError

from diag import redact
from diag.envelope import utc_now
from diag.exitcodes import Exit, probe_exit_code
from diag.textsafe import safe_text
from diag.transport.base import Transport
from diag.yamlfile import load_yaml, yaml_problem
from probes.client import target_secrets
from probes.envelopes import interrupted_envelope, redacted
from probes.outputs import OutputError
from probes.restart import ssh_settings
from probes.runner import RoundResult, RunOptions, run_round
from probes.state import StateError
from schemas.probe import GroupConfig, ProbeEnvelope, TargetsFile


class ProbeUsageError(click.ClickException):
    """Bad targets/state file: one line on stderr, exit 2."""

    exit_code = int(Exit.USAGE)

    def __init__(self, message: str) -> None:
        super().__init__(safe_text(message))


class ProbeInternalError(click.ClickException):
    """A bug in diagctl, reported like `guarded` does but with secrets redacted; exit 1."""

    exit_code = int(Exit.INTERNAL)


def state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "diagctl"


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


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ProbeUsageError(f"{path}: cannot read targets file: {exc.strerror}") from exc
    if b"\x00" in data:
        raise ProbeUsageError(f"{path}: not a text file (NUL byte at offset {data.index(0)})")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProbeUsageError(
            f"{path}: not a UTF-8 text file (invalid byte at offset {exc.start})"
        ) from exc


def load_targets(path: Path) -> TargetsFile:
    raw = None
    try:
        raw = load_yaml(_read_text(path))
    except yaml.YAMLError as exc:
        # Only the problem and its position: PyYAML's own text can quote the line, and the
        # line can hold a URL with a password.
        raise ProbeUsageError(redact.text(f"{path}: not valid YAML: {yaml_problem(exc)}")) from exc
    if not isinstance(raw, dict):
        raise ProbeUsageError(f"{path}: expected a mapping with 'targets:' (and 'groups:')")
    try:
        return TargetsFile.model_validate(raw)
    except ValidationError as exc:
        raise ProbeUsageError(redact.text(f"{path}: {one_line(exc, raw)}")) from exc


def ssh_transport_factory() -> Callable[[GroupConfig], Transport | None]:
    """Per group, the asyncssh transport of diag/transport/asyncssh_transport.py (the fleet
    issue's), imported dynamically; None when this build does not have it."""

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


def human_line(env: ProbeEnvelope) -> str:
    d = env.data
    tm = d.timings

    def ms(v: float | None) -> str:
        return "-" if v is None else f"{v:.0f}ms"

    act = "" if d.action.value == "none" else f"  [{d.action.value}: {d.action_result.value}]"
    verdict = d.verdict.value.upper() if d.verdict else "-"
    return safe_text(
        f"{d.target:<20} {d.node:<14} {verdict:<8} ttft {ms(tm.ttft_ms):>7} "
        f"itl {ms(tm.itl_ms_max):>7} tok {tm.tokens:>3} fail {d.state.consecutive_fail} "
        f"pass {d.state.consecutive_pass}  {d.reason[:70]}{act}"
    )


def emit(result: RoundResult, human: bool) -> None:
    """Write the round to stdout; every line goes through diag.redact once more."""
    out = sys.stdout
    for env in result.probes:
        line = human_line(env) if human else redacted(env).model_dump_json()
        out.write(redact.text(line) + "\n")
    for aenv in result.audits:
        rec = aenv.data
        if human and rec is not None:
            line = (
                f"AUDIT {rec.action.value} {rec.node or rec.group}: {rec.result.value} "
                f"{rec.message}"
            )
            out.write(safe_text(redact.text(line)) + "\n")
        elif not human:
            out.write(redacted(aenv).model_dump_json() + "\n")
    out.flush()


def _sigterm(signum: int, frame: object) -> None:
    """cron's or systemd's SIGTERM ends the round like Ctrl-C: every target still reported."""
    raise KeyboardInterrupt


def probe_run(
    targets: Path, state: Path | None, audit: Path | None, prom: Path | None,
    act: bool, human: bool, lock_wait_s: float, concurrency: int = 256,
) -> int:  # fmt: skip
    tf = load_targets(targets)
    with redact.known(set().union(*(target_secrets(t) for t in tf.targets))):
        return _probe_run(tf, state, audit, prom, act, human, lock_wait_s, concurrency)


def _probe_run(
    tf: TargetsFile, state: Path | None, audit: Path | None, prom: Path | None,
    act: bool, human: bool, lock_wait_s: float, concurrency: int,
) -> int:  # fmt: skip
    sdir = state_dir()
    opts = RunOptions(
        state_path=state or sdir / "probe-state.json",
        audit_path=audit or sdir / "probe-audit.jsonl",
        act=act,
        prom_path=prom,
        lock_wait_s=lock_wait_s,
        concurrency=concurrency,
        transport_factory=ssh_transport_factory(),
    )
    started = utc_now()
    previous = signal.signal(signal.SIGTERM, _sigterm)
    try:
        result = asyncio.run(run_round(tf, opts))
    except KeyboardInterrupt:
        for t in tf.targets:
            sys.stdout.write(interrupted_envelope(t, started, act).model_dump_json() + "\n")
        sys.stdout.flush()
        return int(Exit.INTERRUPTED)
    except (StateError, OutputError) as exc:
        raise ProbeUsageError(redact.text(str(exc))) from exc
    except OSError as exc:
        raise ProbeUsageError(redact.text(f"{exc.filename or ''}: {exc.strerror or exc}")) from exc
    except Exception as exc:
        if click.get_current_context().find_root().params.get("debug"):
            raise
        raise ProbeInternalError(
            redact.text(f"internal error: {type(exc).__name__}: {exc}")
            + " (rerun with --debug for a traceback)"
        ) from exc
    finally:
        signal.signal(signal.SIGTERM, previous)
    emit(result, human)
    for line in result.warnings:
        click.echo(f"warning: {line}", err=True)
    for line in result.output_errors:  # the round ran and is on stdout; a file was not written
        click.echo(f"Error: {line}", err=True)
    if result.output_errors:
        return int(Exit.USAGE)
    return int(probe_exit_code(result.probes, result.breaker_tripped, result.action_failed))


def record_golden(targets: Path, out: Path | None) -> int:
    from probes import golden

    tf = load_targets(targets)
    new, notes = asyncio.run(golden.record(tf))
    for note in notes:
        click.echo(
            safe_text(redact.text(note, set().union(*map(target_secrets, tf.targets)))), err=True
        )
    if out is None:
        sys.stdout.write(golden.dump(new))
    else:
        golden.write(out, new)
    return int(Exit.FINDINGS) if notes else int(Exit.OK)
