"""`diagctl export siem`: envelopes to ECS, OCSF, Splunk HEC or RFC 5424 syslog events.

JSONL (syslog: one RFC 5424 message per line) on stdout by default; `--send URL` delivers HEC
or syslog with retries and a local spool (exporters/siem/deliver.py). Exit status: 0 all
exported or delivered; 1 input lines skipped, or events rejected / dropped from a full spool;
4 the receiver is down and events wait in the spool.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from diag.cli.export import source_options
from diag.cli.options import CliError, examples, guarded, one_line_error

if TYPE_CHECKING:
    from exporters.siem.deliver import Report
    from exporters.siem.senders import Sender
    from exporters.siem.spool import Spool
    from exporters.source import SourceStats
    from schemas.envelope import Envelope

TOKEN_ENV = "DIAGCTL_HEC_TOKEN"
FORMATS = ("ecs", "ocsf", "hec", "syslog")


def read_token(token_file: Path | None) -> str:
    """The HEC token: from --token-file, else $DIAGCTL_HEC_TOKEN; never from argv."""
    if token_file is not None:
        try:
            token = token_file.read_text().strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise CliError(f"--token-file {token_file}: unreadable: {exc}") from exc
    else:
        token = os.environ.get(TOKEN_ENV, "").strip()
    if not token or any(c.isspace() or not c.isprintable() for c in token):
        raise CliError(f"hec --send needs a token: --token-file FILE or ${TOKEN_ENV} (one word)")
    return token


@click.command(
    "siem",
    epilog=examples(
        "diagctl export siem --format ecs --from health.jsonl",
        "diagctl export siem --format ocsf --from run1",
        "diagctl export siem --format hec --from run1 --send https://splunk:8088 "
        "--token-file hec.token",
        "diagctl export siem --format syslog --from audit.jsonl --send tcp://127.0.0.1:514",
        "diagctl export siem --format syslog --send tls://siem:6514 --ca-file ca.pem --drain",
    ),
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True, help="Event format.")
@source_options
@click.option(
    "--send", "url", help="Deliver: hec http(s)://HOST:PORT; syslog udp|tcp|tls://HOST:PORT."
)
@click.option("--token-file", type=click.Path(dir_okay=False, path_type=Path),
              help=f"HEC token file [default: ${TOKEN_ENV}].")  # fmt: skip
@click.option("--ca-file", type=click.Path(exists=True, dir_okay=False), help="CA for https/tls.")
@click.option("--spool", type=click.Path(file_okay=False, path_type=Path),
              help="Spool directory [default: $XDG_STATE_HOME/diagctl/spool/FORMAT].")  # fmt: skip
@click.option("--spool-max-mb", type=click.FloatRange(min=0.001), default=64.0, show_default=True,
              help="Spool bound; beyond it the oldest batches are dropped, counted.")  # fmt: skip
@click.option("--batch", type=click.IntRange(1, 10000), default=500, show_default=True)
@click.option("--retries", type=click.IntRange(0, 10), default=3, show_default=True)
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=0.1, max=600), default=10.0,
              show_default=True, help="Seconds per connection / request.")  # fmt: skip
@click.option("--drain", is_flag=True, help="Only send what the spool holds; read no input.")
@guarded
def siem(fmt: str, sources: tuple[Path, ...], url: str | None, token_file: Path | None,
         ca_file: str | None, spool: Path | None, spool_max_mb: float, batch: int,
         retries: int, timeout_s: float, drain: bool) -> None:  # fmt: skip
    """Findings, verdicts, actions, bundles and reset reasons as SIEM events."""
    from exporters.siem.formats import lines

    if drain and not url:
        raise CliError("--drain needs --send")
    envs, stats = _read(sources, drain)
    if url is None:
        out = sys.stdout.buffer
        for line in lines(envs, fmt):
            out.write(line.encode("utf-8", "replace") + b"\n")
        out.flush()
        _finish(stats.summary(), 0)
        return
    from exporters.siem.deliver import Policy, deliver

    sender, box = _sender(fmt, url, token_file, ca_file, timeout_s, spool, spool_max_mb)
    report = deliver(lines(envs, fmt), sender, box, Policy(batch, retries))
    _report(report, box.root)
    code = 1 if report.lost else (4 if report.spooled else 0)
    _finish(stats.summary(), code)


def _read(sources: tuple[Path, ...], drain: bool) -> tuple[Iterator[Envelope], SourceStats]:
    from exporters.source import SourceStats, envelopes

    empty: Iterator[Envelope] = iter(())
    stats = SourceStats()
    stdin = None if (sources or drain) else sys.stdin.buffer
    return (empty if drain else envelopes(sources, stdin, stats)), stats


def _sender(fmt: str, url: str, token_file: Path | None, ca_file: str | None, timeout_s: float,
            spool: Path | None, spool_max_mb: float) -> tuple[Sender, Spool]:  # fmt: skip
    from exporters.siem.senders import HecSender, SyslogSender, endpoint
    from exporters.siem.spool import Spool, default_dir

    ep = endpoint(url, fmt)
    root = spool or default_dir(fmt)
    if root.exists() and not root.is_dir():
        raise CliError(f"--spool {root}: not a directory")
    box = Spool(root, int(spool_max_mb * 1024 * 1024))
    if fmt == "hec":
        return HecSender(ep, read_token(token_file), timeout_s, ca_file or ""), box
    return SyslogSender(ep, timeout_s, ca_file or ""), box


def _report(report: Report, root: Path) -> None:
    parts = [f"sent {report.sent}"]
    if report.drained:
        parts.append(f"drained {report.drained} from the spool")
    if report.spooled:
        parts.append(f"spooled {report.spooled} in {root}")
    if report.dropped:
        parts.append(f"dropped {report.dropped} oldest (spool full)")
    if report.rejected:
        parts.append(f"rejected {report.rejected}")
    first = f" (first problem: {report.problems[0]})" if report.problems else ""
    click.echo(one_line_error(f"diagctl: export siem: {', '.join(parts)}{first}"), err=True)


def _finish(skipped: str, code: int) -> None:
    if skipped:
        click.echo(f"diagctl: export: {one_line_error(skipped)}", err=True)
        code = code or 1
    if code:
        sys.exit(code)
