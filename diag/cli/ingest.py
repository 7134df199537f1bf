"""`diagctl ingest` and `diagctl payload show`: the hand-off to and from Ansible/AWX."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from diag.cli.ingest_phase import PhaseOptions, phase_options
from diag.cli.options import (
    CliError,
    comma_list,
    examples,
    guarded,
    one_line_error,
    output_options,
    wants_human,
)

_KINDS = {"health": "health.l1", "reset-reason": "reset_reason", "bundle": "bundle"}
_SHOWN = (*_KINDS, "erase-detect", "burn-in")  # the last two are parts of phase playbooks


@click.command(
    epilog=examples(
        "diagctl ingest run1",
        "diagctl ingest run1 --out judged1 --policy site.yaml",
        "diagctl ingest resets1 --kind reset-reason --json",
        "diagctl ingest bundles1 --kind bundle --out landed1",
        "diagctl ingest run1 --registry postgresql://diag@db.example/diag --out judged1",
        "diagctl ingest recv1 --phase receive --manifest po-117.csv --registry reg.db --act",
        "diagctl ingest inc1 --phase incident --reason 'Xid 79' --registry reg.db --out j1",
    )
)
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--kind",
    type=click.Choice(list(_KINDS)),
    default=None,
    help="What the playbook collected (default: as its records say).",
)
@click.option("--policy", type=click.Path(dir_okay=False, path_type=Path), help="Policy YAML.")
@click.option("--host-class", default="", help="Host class whose policy overrides apply.")
@click.option("--check", "check_ids", multiple=True, callback=comma_list, metavar="ID[,ID...]")
@click.option("--limit", default="", help="Only these recorded hosts (Ansible --limit syntax).")
@click.option("--max-bytes", default=64 * 1024, show_default=True, type=click.IntRange(min=1024))
@click.option("--strict", is_flag=True, help="Exit 3 on unknown findings too.")
@click.option("--fail-on", type=click.Choice(["warn", "fail"]), default="fail", show_default=True)
@click.option("-v", "--verbose", is_flag=True, help="--human: show passing checks too.")
@click.option("--overwrite", is_flag=True, help="Replace the previous run an --out DIR holds.")
@click.option(
    "--registry",
    default=None,
    metavar="URL|FILE",
    help="Also record each judged host in this lifecycle registry (SQLite file, sqlite:///PATH, "
    "postgresql://...): asset upsert + one action pointing at its envelope.",
)
@click.option("--lock-wait", default=10.0, show_default=True, type=click.FloatRange(min=0))
@phase_options
@output_options
@guarded
def ingest(
    directory: Path,
    kind: str | None,
    policy: Path | None,
    host_class: str,
    check_ids: tuple[str, ...],
    limit: str,
    max_bytes: int,
    strict: bool,
    fail_on: str,
    verbose: bool,
    overwrite: bool,
    registry: str | None,
    lock_wait: float,
    human: bool | None,
    out: Path | None,
    phase: PhaseOptions,
) -> None:
    """Judge what playbooks/health.yml, reset-reason.yml or bundle.yml collected (DIRECTORY
    holds hosts/<host>/{collected.json, raw/}) with the same parsers and policy as a live run:
    one envelope per host on stdout (JSONL in a pipe, for `diagctl export`) and in --out.
    With --phase, DIRECTORY is a phase playbook's (playbooks/<phase>.yml) and the phase's
    gate is applied to --registry as the `diagctl lifecycle` command does (docs/scale.md).
    """
    from diag.cli.render import colour_wanted, render_to_stdout
    from diag.exitcodes import ExitPolicy, FailOn

    if phase.phase:
        from diag.cli.ingest_phase import run

        req = phase.request(directory, out, policy, check_ids, ExitPolicy(strict, FailOn(fail_on)))
        run(req, limit, overwrite, registry, lock_wait, human)
    from diag.ingest import ingest_targets

    envelope_kind, targets, transport = ingest_targets(
        directory, _KINDS[kind] if kind else None, limit
    )
    if envelope_kind == "bundle" and out is None:
        raise CliError("--out DIR is required: bundles land in DIR/hosts/<host>/")
    if out is not None:
        from diag.artifacts import check_out_dir, prepare_out

        prepare_out(out, overwrite, reads=directory)
        check_out_dir(out)
    readable = wants_human(human)
    colour = readable and colour_wanted(os.environ, sys.stdout.isatty())
    emit = render_to_stdout(readable, verbose, len(targets), colour)
    recorder = None
    if registry:
        from diag.ingest import RECORD
        from lifecycle.ingested import open_recorder

        paths = {n: c.hdir / RECORD for n, c in transport.collected.items() if c.record}
        recorder = open_recorder(registry, lock_wait, paths, out)
        emit = recorder.wrap(emit)
    exits = ExitPolicy(strict, FailOn(fail_on))
    if envelope_kind == "bundle":
        from diag.ingest_bundle import ingest_bundles

        assert out is not None  # checked above
        landed = ingest_bundles(transport.collected, out, emit)
        warnings, code = landed.warnings, landed.exit
    elif envelope_kind == "reset_reason":
        from diag.reset_reason import ResetOptions, run_reset

        opts = ResetOptions(max_bytes=max_bytes)
        result = run_reset(targets, transport, opts, emit, out, 64, exits)
        warnings, code = result.warnings, result.exit
    else:
        from diag.health import options_for
        from diag.session import run_health

        hopts = options_for(policy, check_ids, 30.0, max_bytes, host_class)
        hopts.policy.require_classes(((t.name, t.host_class) for t in targets), str(directory))
        res = run_health(targets, transport, hopts, emit, out, forks=64, exit_policy=exits)
        warnings, code = res.warnings, res.exit
    for warning in warnings:
        click.echo(one_line_error(f"diagctl: {warning}"), err=True)
    if recorder is not None and recorder.report.lost:
        click.echo(one_line_error(f"diagctl: {recorder.problem()}"), err=True)
        code = recorder.exit_after(code)
    sys.exit(int(code))


@click.group(epilog=examples("diagctl payload show health --timeout 30 --output health.bin"))
def payload() -> None:
    """The exact payload diagctl sends to hosts, for other engines (Ansible, AWX) to send."""


@payload.command(
    "show",
    epilog=examples(
        "diagctl payload show health --timeout 30 --output run1/payload/health.bin",
        "diagctl payload show health --timeout 30 --command-line",
        "diagctl payload show reset-reason --since-s 604800 --become --command-line",
        "diagctl payload show bundle --timeout 300 --since-hours 48 --total-cap 32",
        "diagctl payload show burn-in --burn-in 'dcgmi diag -r 3' --timeout 3600 --command-line",
        "diagctl payload show erase-detect --timeout 60 --command-line",
    ),
)
@click.argument("kind", type=click.Choice(_SHOWN))
@click.option("--timeout", default=30.0, show_default=True, type=click.FloatRange(min=2))
@click.option("--check", "check_ids", multiple=True, callback=comma_list, metavar="ID[,ID...]")
@click.option("--since-s", default=7 * 86400, show_default=True, type=click.IntRange(min=60))
@click.option("--become", is_flag=True, help="The command line runs the payload via sudo -n.")
@click.option("--since-hours", default=24.0, show_default=True, type=click.FloatRange(min=0.1),
              help="bundle: hours of this boot's journal (diagctl bundle --since).")  # fmt: skip
@click.option("--artifact-cap", default=8, show_default=True, type=click.IntRange(min=1),
              help="bundle: MiB kept per artifact.")  # fmt: skip
@click.option("--total-cap", default=64, show_default=True, type=click.IntRange(min=1),
              help="bundle: MiB kept for the whole bundle.")  # fmt: skip
@click.option("--burn-in", default="", help="burn-in: the command (lifecycle receive --burn-in).")
@click.option(
    "--command-line", is_flag=True, help="Print the remote command line, not the payload."
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (atomically) instead of stdout.",
)
@guarded
def payload_show(
    kind: str,
    timeout: float,
    check_ids: tuple[str, ...],
    since_s: int,
    become: bool,
    since_hours: float,
    artifact_cap: int,
    total_cap: int,
    burn_in: str,
    command_line: bool,
    output: Path | None,
) -> None:
    """The bytes `diagctl KIND` sends on stdin over SSH with these options (or, with
    --command-line, the line it hands to the host's login shell), byte for byte. For bundle:
    what `diagctl bundle --no-l1` sends (the playbooks collect L1 as its own run)."""
    from diag.playbook_payload import PayloadSpec, payload_bytes
    from diag.playbook_payload import command_line as line_of

    spec = PayloadSpec(
        kind,  # type: ignore[arg-type]
        timeout,
        check_ids,
        since_s,
        become,
        since_hours,
        artifact_cap,
        total_cap,
        burn_in,
    )
    data = (line_of(spec) + "\n").encode() if command_line else payload_bytes(spec)
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    from diag.files import atomic_write

    atomic_write(output, data)
