"""`diagctl export cmdb`: asset records for ServiceNow, NetBox or a CSV; dry-run unless --push."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from diag.cli.export import finish_source, read_envelopes, source_options
from diag.cli.options import examples, guarded

PUSH_FAILED_EXIT = 1  # some host was not pushed (receiver down or refused it); see the audit


@click.command(
    epilog=examples(
        "diagctl export cmdb --format csv --from run1",
        "diagctl export cmdb --format servicenow --from health.jsonl",
        "diagctl export cmdb --format servicenow --from run1 "
        "--push https://example.service-now.com --token-file snow.token",
        "diagctl export cmdb --format netbox --from run1 --push https://netbox.example.com "
        "--token-file nb.token --netbox-site dc1 --netbox-role gpu-server",
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
) -> None:
    """Asset records (identity, serials, model, GPUs, firmware and driver versions) from
    envelopes, as ServiceNow IRE payloads, NetBox payloads or CSV. Prints them (dry-run) unless
    --push URL; a push prints and appends one audit record per host."""
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
    )
    check(args)
    envelopes, stats = read_envelopes(sources)
    result = run(args, envelopes, state_dir() / "cmdb-audit.jsonl")
    sys.stdout.write(result.text)
    for record in result.pushed:
        click.echo(record.model_dump_json())
    finish_source(stats)
    if result.failed:
        click.echo(f"diagctl: export cmdb: {result.failed} host(s) not pushed", err=True)
        sys.exit(PUSH_FAILED_EXIT)
