"""The library entry of `diagctl export prometheus`: options checked, envelopes rendered, the
text written to stdout, a textfile, a Pushgateway (with the spool), or served over HTTP."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from diag.errors import UsageError
from exporters.prometheus import textfile
from exporters.prometheus.push import Gateway
from exporters.prometheus.render import Collected, collect, export_counts, render
from exporters.prometheus.spool import Spool
from exporters.source import SourceStats, envelopes
from schemas.envelope import Envelope


def default_spool() -> Path:
    state = os.environ.get("XDG_STATE_HOME") or os.path.expanduser("~/.local/state")
    return Path(state) / "diagctl" / "prometheus-spool"


@dataclass(frozen=True)
class PromArgs:
    textfile: Path | None = None
    push: str | None = None
    serve: str | None = None
    job: str = "diagctl"
    instance: str = ""  # empty: this machine's host name
    spool: Path | None = None  # empty: default_spool()
    spool_max: int = 1000
    timeout_s: float = 10.0
    interval_s: float = 15.0
    delete: bool = False

    def check(self, has_sources: bool) -> None:
        """Raise UsageError for contradictory options, before any input is read."""
        modes = [m for m, v in (("--textfile", self.textfile), ("--push", self.push),
                                ("--serve", self.serve)) if v]  # fmt: skip
        if len(modes) > 1:
            raise UsageError(f"{' and '.join(modes)}: choose one output mode")
        if self.delete and not self.push:
            raise UsageError("--delete removes a Pushgateway group: give --push URL")
        if self.serve and not has_sources:
            raise UsageError("--serve re-reads its input on scrape: give --from DIR or FILE")
        textfile.check_job(self.job)
        if self.spool_max < 1:
            raise UsageError(f"--spool-max {self.spool_max}: keep at least 1 push")
        if self.textfile is not None:
            textfile.check_directory(self.textfile)

    @property
    def instance_name(self) -> str:
        return self.instance or socket.gethostname()

    def spool_dir(self) -> Spool:
        return Spool(self.spool or default_spool(), self.spool_max)

    def gateway(self) -> Gateway:
        assert self.push is not None
        return Gateway(self.push, self.timeout_s)


def exposition(
    envs: Iterable[Envelope], stats: SourceStats, spool: Spool | None
) -> tuple[bytes, Collected]:
    """The text for `envs`, with the export's own counters (and the spool's, when pushing)."""
    collected = collect(envs)
    export_counts(collected, stats.skipped)  # final once `envs` is consumed
    if spool is not None:
        collected.samples.add("diagctl_push_spool_pending", (), float(len(spool.items())))
        collected.samples.add("diagctl_push_spool_dropped", (), float(spool.dropped()))
    return render(collected.samples), collected


def unknown_note(c: Collected) -> str:
    """One stderr line about kinds with no metrics; empty when there were none."""
    if not c.unknown_kinds:
        return ""
    kinds = ", ".join(f"{k[:40]} x{n}" for k, n in sorted(c.unknown_kinds.items())[:5])
    more = len(c.unknown_kinds) - 5
    tail = f" and {more} more kinds" if more > 0 else ""
    total = sum(c.unknown_kinds.values())
    return f"skipped {total} envelopes of kinds with no metrics: {kinds}{tail}"


def serve_loader(sources: tuple[Path, ...]) -> Callable[[], bytes]:
    """What --serve calls on a scrape: re-read every source, render."""

    def load() -> bytes:
        stats = SourceStats()
        return exposition(envelopes(sources, None, stats), stats, None)[0]

    return load
