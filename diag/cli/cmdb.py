"""`diagctl export cmdb`: asset records for ServiceNow, NetBox or a CSV; dry-run unless --push."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from diag.cli.export import finish_source, read_envelopes, source_options
from diag.cli.options import examples, guarded, one_line_error

if TYPE_CHECKING:
    from exporters.cmdb.app import CmdbResult

PUSH_FAILED_EXIT = 1  # some host was refused, or dropped from a full spool; see the audit
SPOOLED_EXIT = 4  # the receiver is down: records wait in the spool (as export siem)


@click.command(
    epilog=examples(
        "diagctl export cmdb --format csv --from run1",
        "diagctl export cmdb --format servicenow --from health.jsonl",
        "diagctl export cmdb --format servicenow --from run1 "
        "--push https://example.service-now.com --token-file snow.token",
        "diagctl export cmdb --format netbox --from run1 --push https://netbox.example.com "
        "--token-file nb.token --netbox-site dc1 --netbox-role gpu-server",
        "diagctl export cmdb --format servicenow --push https://example.service-now.com "
        "--token-file snow.token --drain",
    )
)
@click.option(
    "--format",
    "fmt",
    required=True,
    type=click.Choice(["servicenow", "netbox", "csv"]),
    help="ServiceNow IRE payloads, NetBox device payloads (JSONL), or CSV.",
)
@source_options
@click.option("--push", "push_url", metavar="URL", help="Send to this instance (dry-run without).")
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File holding the API token [else $DIAGCTL_CMDB_TOKEN].",
)
@click.option(
    "--audit",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Append-only push audit log [~/.local/state/diagctl/cmdb-audit.jsonl].",
)
@click.option("--timeout", "timeout_s", default=30.0, show_default=True, help="Seconds a request.")
@click.option("--netbox-site", default="default", show_default=True, help="Site slug, new devices.")
@click.option("--netbox-role", default="gpu-server", show_default=True, help="Role slug, new ones.")
@click.option(
    "--gpu-class", default="cmdb_ci_hardware", show_default=True, help="ServiceNow class of GPUs."
)
@click.option(
    "--spool",
    type=click.Path(path_type=Path),
    help="Where records wait while the receiver is down [$XDG_STATE_HOME/diagctl/spool/cmdb-FMT].",
)
@click.option(
    "--spool-max-mb", default=64.0, show_default=True, help="Spool bound; oldest dropped."
)
@click.option("--drain", is_flag=True, help="Only push what the spool holds; read no input.")
@guarded
def cmdb(
    fmt: str,
    sources: tuple[Path, ...],
    push_url: str | None,
    token_file: Path | None,
    audit: Path | None,
    timeout_s: float,
    netbox_site: str,
    netbox_role: str,
    gpu_class: str,
    spool: Path | None,
    spool_max_mb: float,
    drain: bool,
) -> None:
    """Asset records (identity, serials, model, GPUs, firmware and driver versions) from
    envelopes, as ServiceNow IRE payloads, NetBox payloads or CSV. Prints them (dry-run) unless
    --push URL; a push prints and appends one audit record per host, and spools what a receiver
    that is down could not take (pushed first by the next push, or --drain)."""
    from diag.config import state_dir
    from exporters.cmdb.app import CmdbArgs, check, run
    from exporters.cmdb.netbox import NetboxPlace

    args = CmdbArgs(
        fmt,  # type: ignore[arg-type]
        push_url,
        token_file,
        audit,
        timeout_s,
        NetboxPlace(netbox_site, netbox_role),
        gpu_class,
        spool,
        spool_max_mb,
        drain,
    )
    check(args)
    envelopes, stats = read_envelopes(() if drain else sources, stdin=not drain)
    result = run(args, envelopes, state_dir())
    sys.stdout.write(result.text)
    for record in result.pushed:
        click.echo(record.model_dump_json())
    _say(result)
    finish_source(stats)
    if result.failed or result.dropped:
        sys.exit(PUSH_FAILED_EXIT)
    if result.pending:
        sys.exit(SPOOLED_EXIT)


def _say(result: CmdbResult) -> None:
    """One stderr line when anything but a plain push happened."""
    parts = [f"{result.failed} host(s) not pushed"] if result.failed else []
    if result.drained:
        parts.append(f"pushed {result.drained} from the spool")
    if result.spooled:
        parts.append(f"spooled {result.spooled} (receiver down)")
    if result.pending:
        parts.append(f"{result.pending} waiting in {result.spool}")
    if result.dropped:
        parts.append(f"dropped {result.dropped} (spool full, oldest first)")
    if parts:
        first = f" (first problem: {result.problems[0]})" if result.problems else ""
        click.echo(one_line_error(f"diagctl: export cmdb: {', '.join(parts)}{first}"), err=True)
