"""`diagctl export prometheus`: envelopes to Prometheus metrics — stdout, a node_exporter
textfile, a Pushgateway push (spooled while it is down), or an HTTP exporter (--serve)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from diag.cli.export import finish_source, read_envelopes, source_options
from diag.cli.options import CliError, examples, guarded, one_line_error
from diag.exitcodes import Exit

if TYPE_CHECKING:
    from exporters.prometheus.app import PromArgs

EXAMPLES = examples(
    "diagctl export prometheus --from run1",
    "diagctl export prometheus --from run1 --textfile /var/lib/node_exporter/textfile --job health",
    "diagctl export prometheus --from run1 --push http://pushgw:9091 --job health",
    "diagctl export prometheus --push http://pushgw:9091 --job health --instance jump1 --delete",
    "diagctl export prometheus --from /var/lib/diagctl/runs/latest --serve 127.0.0.1:9105",
)


def _say(line: str) -> None:
    click.echo(f"diagctl: export prometheus: {one_line_error(line)}", err=True)


@click.command(epilog=EXAMPLES)
@source_options
@click.option(
    "--textfile",
    type=click.Path(path_type=Path),
    help="Write DIR/diagctl_<job>.prom for node_exporter's textfile collector.",
)
@click.option("--push", metavar="URL", help="Push to this Pushgateway (group job + instance).")
@click.option("--serve", metavar="HOST:PORT", help="Serve /metrics, re-reading --from on scrape.")
@click.option(
    "--job", default="diagctl", show_default=True, help="Textfile name and Pushgateway job."
)
@click.option("--instance", default="", help="Pushgateway instance [default: this host name].")
@click.option(
    "--spool",
    type=click.Path(file_okay=False, path_type=Path),
    help="Pushes wait here while the Pushgateway is down "
    "[default: ~/.local/state/diagctl/prometheus-spool].",
)
@click.option(
    "--spool-max",
    default=1000,
    show_default=True,
    help="Pushes kept; the oldest are dropped (and counted) beyond.",
)
@click.option(
    "--timeout",
    "timeout_s",
    default=10.0,
    show_default=True,
    help="Seconds per Pushgateway request.",
)
@click.option(
    "--interval",
    "interval_s",
    default=15.0,
    show_default=True,
    help="--serve: re-read the input at most this often (seconds).",
)
@click.option(
    "--delete", is_flag=True, help="With --push: delete the group (decommission) and exit."
)
@guarded
def prometheus(sources: tuple[Path, ...], **opts: object) -> None:
    """Envelopes to Prometheus metrics (text exposition format on stdout by default)."""
    from exporters.prometheus import app, push

    args = app.PromArgs(**opts)  # type: ignore[arg-type]
    args.check(bool(sources))
    if args.delete:
        why = push.delete(args.gateway(), args.job, args.instance_name)
        if why:
            raise CliError(f"--delete: {why}")
        return
    if args.serve:
        _serve(args, sources)
        return
    _once(args, sources)


def _serve(args: PromArgs, sources: tuple[Path, ...]) -> None:
    from exporters.prometheus import app, serve

    assert args.serve is not None
    try:
        host, port = serve.parse_listen(args.serve)
        server = serve.make_server(host, port, app.serve_loader(sources), args.interval_s)
    except (ValueError, OSError) as exc:
        raise CliError(f"--serve {args.serve}: {exc}") from exc
    _say(f"serving http://{args.serve}/metrics (re-reading at most every {args.interval_s:g} s)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        sys.exit(int(Exit.INTERRUPTED))
    finally:
        server.server_close()


def _once(args: PromArgs, sources: tuple[Path, ...]) -> None:
    from exporters.prometheus import app, push, textfile

    envs, stats = read_envelopes(sources)
    spool = args.spool_dir() if args.push else None
    body, collected = app.exposition(envs, stats, spool)
    if note := app.unknown_note(collected):
        _say(note)
    spooled = False
    if args.textfile is not None:
        textfile.write(args.textfile, args.job, body)
    elif args.push and spool is not None:
        outcome = push.deliver(args.gateway(), spool, args.job, args.instance_name, body)
        for note in outcome.notes or []:
            _say(note)
        if outcome.refused:
            raise CliError(f"--push: refused: {outcome.refused}")
        spooled = bool(outcome.notes)
    else:
        sys.stdout.buffer.write(body)
        sys.stdout.flush()
    finish_source(stats)
    if spooled:
        sys.exit(int(Exit.UNREACHABLE))
