"""`diagctl lifecycle maintain`: options, the library call, render, exit code."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from diag.cli.lifecycle import drain_options, emitter, open_reg, registry_options
from diag.cli.lifecycle_step import run_one, step_options
from diag.cli.options import comma_list, examples, fleet_options, format_options, guarded
from diag.cli.probe_gate import probe_gate_options
from diag.fleet.args import FleetArgs

if TYPE_CHECKING:
    from lifecycle.maintain_step import StepRequest


@click.command(
    "maintain",
    epilog=examples(
        "diagctl lifecycle maintain -i fleet.yaml --limit rack7 --command 'systemctl reboot' "
        "--reboots",
        "diagctl lifecycle maintain -i fleet.yaml --limit rack7 --command 'systemctl reboot' "
        "--reboots --max-in-flight 2 --act-config act.yaml --act",
        "diagctl lifecycle maintain -i fleet.yaml --command 'fwupdmgr update -y' "
        "--window 2025-06-01T22:00Z/2025-06-02T04:00Z --backend slurm --act",
        "diagctl lifecycle maintain -i hosts.ini --limit gpu7 --command 'apt-get -y upgrade' "
        "--backend slurm --act --step precheck --snapshot run1/gpu7.pre.json",
        "diagctl lifecycle maintain -i fleet.yaml --limit rack7 --command 'systemctl restart "
        "vllm' --probe-url 'http://{host}:8000' --probe-model llama-3-8b --backend slurm --act",
    ),
)
@click.option("--command", "command", required=True, help="Shell command run on each host.")
@click.option("--reboots", is_flag=True, help="The command reboots the host: leave a reboot "
              "intent first, then wait for a new boot id.")  # fmt: skip
@click.option("--window", default="", metavar="START/END",
              help="No wave starts outside it (ISO 8601 with an offset).")  # fmt: skip
@click.option("--max-in-flight", default=1, show_default=True, type=click.IntRange(min=1),
              help="Hosts maintained at once (one wave).")  # fmt: skip
@click.option(
    "--act", is_flag=True, help="Really cordon, run and record (default: print the plan)."
)
@drain_options("maintain-audit.jsonl")
@click.option("--reason", default="maintenance", show_default=True, help="Why (every record).")
@click.option("--command-timeout", default=1800.0, show_default=True,
              type=click.FloatRange(min=1), help="Seconds the command may take.")  # fmt: skip
@click.option("--return-timeout", default=900.0, show_default=True,
              type=click.FloatRange(min=1), help="Seconds a rebooted host may take.")  # fmt: skip
@click.option("--timeout", default=60.0, show_default=True, type=click.FloatRange(min=2),
              help="Per-host deadline of each L1 check.")  # fmt: skip
@click.option("--policy", type=click.Path(dir_okay=False, path_type=Path),
              help="Policy YAML for the pre- and post-checks.")  # fmt: skip
@click.option("--check", "check_ids", multiple=True, callback=comma_list, metavar="ID[,ID...]",
              help="Run only these check ids in the pre- and post-checks.")  # fmt: skip
@click.option("--strict", is_flag=True, help="An unknown post-check finding fails too.")
@probe_gate_options
@step_options
@format_options
@registry_options
@fleet_options
@guarded
def maintain(fleet: FleetArgs, human: bool | None, registry: str | None, lock_wait: float,
             step: StepRequest | None, **kw: object) -> None:  # fmt: skip
    """Maintain hosts in waves: cordon, pre-check, run --command (a reboot recorded on the host
    first), wait for the host to return, post-check, diff, uncordon only on pass. A failure
    stops after its wave, keeps the host cordoned and opens an incident; a wave whose drains
    would cross the blast-radius limit (--act-config) stops the run, exit 5 (docs/lifecycle.md).
    --step runs one controller-side step for one host (playbooks/maintain.yml, docs/scale.md)."""
    from lifecycle.maintain_setup import MaintainRequest, build

    req = MaintainRequest(**kw)  # type: ignore[arg-type]
    targets, ctx = build(req, fleet, lambda: open_reg(registry, lock_wait))
    if step is not None:
        run_one(step, targets, ctx, human)
    from lifecycle.maintain import run

    sys.exit(int(run(targets, ctx, emitter(human))))
