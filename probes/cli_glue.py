"""Glue between `diagctl probe run` and the probe library (kept out of diag/cli.py)."""

from __future__ import annotations

import asyncio
import importlib
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

import click
import yaml
from pydantic import ValidationError

from diag.envelope import utc_now
from diag.exitcodes import Exit, probe_exit_code
from diag.textsafe import safe_text
from diag.transport.base import Transport
from diag.yamlfile import load_yaml
from probes.envelopes import interrupted_envelope
from probes.restart import ssh_settings
from probes.runner import RoundResult, RunOptions, run_round
from probes.state import StateError
from schemas.probe import GroupConfig, ProbeEnvelope, TargetsFile


class ProbeUsageError(click.ClickException):
    """Bad targets/state file: one line on stderr, exit 2."""

    exit_code = int(Exit.USAGE)

    def __init__(self, message: str) -> None:
        super().__init__(safe_text(message))


def state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "diagctl"


def one_line(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(x) for x in err["loc"]) or "(top level)"
        parts.append(f"{loc}: {err['msg']}")
    more = f" (+{exc.error_count() - 5} more)" if exc.error_count() > 5 else ""
    return "; ".join(parts) + more


def load_targets(path: Path) -> TargetsFile:
    try:
        raw = load_yaml(path.read_text())
    except OSError as exc:
        raise ProbeUsageError(f"{path}: cannot read targets file: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        first = str(exc).replace("\n", " ")[:200]
        raise ProbeUsageError(f"{path}: not valid YAML: {first}") from exc
    if not isinstance(raw, dict):
        raise ProbeUsageError(f"{path}: expected a mapping with 'targets:' (and 'groups:')")
    try:
        return TargetsFile.model_validate(raw)
    except ValidationError as exc:
        raise ProbeUsageError(f"{path}: {one_line(exc)}") from exc


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
    out = sys.stdout
    for env in result.probes:
        out.write((human_line(env) if human else env.model_dump_json()) + "\n")
    for aenv in result.audits:
        rec = aenv.data
        if human and rec is not None:
            line = (
                f"AUDIT {rec.action.value} {rec.node or rec.group}: {rec.result.value} "
                f"{rec.message}"
            )
            out.write(safe_text(line) + "\n")
        elif not human:
            out.write(aenv.model_dump_json() + "\n")
    out.flush()


def _sigterm(signum: int, frame: object) -> None:
    """cron's or systemd's SIGTERM ends the round like Ctrl-C: every target still reported."""
    raise KeyboardInterrupt


def probe_run(
    targets: Path, state: Path | None, audit: Path | None, prom: Path | None,
    act: bool, human: bool, lock_wait_s: float, concurrency: int = 256,
) -> int:  # fmt: skip
    tf = load_targets(targets)
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
    except StateError as exc:
        raise ProbeUsageError(str(exc)) from exc
    except OSError as exc:
        raise ProbeUsageError(f"{exc.filename or ''}: {exc.strerror or exc}") from exc
    finally:
        signal.signal(signal.SIGTERM, previous)
    emit(result, human)
    return int(probe_exit_code(result.probes, result.breaker_tripped, result.action_failed))


def record_golden(targets: Path, out: Path | None) -> int:
    from probes import golden

    tf = load_targets(targets)
    new, notes = asyncio.run(golden.record(tf))
    for note in notes:
        click.echo(safe_text(note), err=True)
    if out is None:
        sys.stdout.write(golden.dump(new))
    else:
        golden.write(out, new)
    return int(Exit.FINDINGS) if notes else int(Exit.OK)
