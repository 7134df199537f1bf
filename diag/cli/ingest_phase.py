"""`diagctl ingest --phase P`: the options of a phase playbook's ingest and the library call."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from diag.cli.options import one_line_error

if TYPE_CHECKING:
    from diag.exitcodes import ExitPolicy
    from lifecycle.phase_ingest import PhaseRequest

F = TypeVar("F", bound=Callable[..., Any])
PHASES = ("receive", "provision", "monitor", "incident", "retire")


@dataclass(frozen=True)
class PhaseOptions:
    phase: str | None
    manifest: Path | None
    phase_class: str
    values: Path | None
    reason: str
    act: bool

    def request(
        self,
        root: Path,
        out: Path | None,
        policy: Path | None,
        check_ids: tuple[str, ...],
        exits: ExitPolicy,
    ) -> PhaseRequest:
        from lifecycle.phase_ingest import PhaseRequest

        assert self.phase is not None
        return PhaseRequest(
            root, self.phase, out, policy, check_ids, exits, "", self.manifest,
            self.phase_class, self.values, self.reason, self.act,
        )  # fmt: skip


def phase_options(fn: F) -> F:
    """--phase and what the phases need; passed on as one `phase` (PhaseOptions)."""

    @wraps(fn)  # keeps the click options already declared below this decorator
    def wrapper(*args: Any, **kw: Any) -> Any:
        names = ("phase", "manifest", "phase_class", "values", "reason", "act")
        kw["phase"] = PhaseOptions(*(kw.pop(n) for n in names))
        return fn(*args, **kw)

    path = click.Path(dir_okay=False, path_type=Path)
    for opt in reversed((
        click.option("--phase", type=click.Choice(PHASES), default=None,
                     help="DIRECTORY is playbooks/<phase>.yml's: apply that phase's gate."),
        click.option("--manifest", type=path, help="receive: the expected machines (CSV/YAML)."),
        click.option("--class", "phase_class", default="",
                     help="provision: the node class in --values whose baseline is verified "
                     "(monitor: the class shown)."),
        click.option("--values", type=path, help="provision: the cloud-init values file."),
        click.option("--reason", default="", help="incident, retire: why (recorded)."),
        click.option("--act", is_flag=True,
                     help="receive: record assets, steps and moves (else a dry run)."),
    )):  # fmt: skip
        wrapper = opt(wrapper)
    return wrapper  # type: ignore[return-value]


def run(
    req: PhaseRequest,
    limit: str,
    overwrite: bool,
    registry: str | None,
    lock_wait: float,
    human: bool | None,
) -> None:
    from diag.cli.lifecycle import emitter, open_reg
    from lifecycle.phase_apply import run_phase
    from lifecycle.phase_ingest import check_request

    req.limit = limit
    check_request(req)
    if req.out is not None:
        from diag.artifacts import check_out_dir, prepare_out

        prepare_out(req.out, overwrite, reads=req.root)
        check_out_dir(req.out)
    wants = registry is not None and (req.phase != "receive" or req.act)
    reg = open_reg(registry, lock_wait) if wants else None
    if req.phase == "receive" and req.act and reg is None:
        reg = open_reg(None, lock_wait)  # as `lifecycle receive --act`: the default registry
    result = run_phase(req, reg, emitter(human))
    for line in result.problems:
        click.echo(one_line_error(f"diagctl: {line}"), err=True)
    sys.exit(int(result.exit))
