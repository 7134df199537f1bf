#!/usr/bin/env python3
"""Exporter throughput: envelopes/s of every export format (Prometheus, the four SIEM formats,
the three CMDB formats, the HTML report) over N envelopes (default 100k), each next to a plain
`json.loads` + `json.dumps` loop over the same JSONL in the same run (the anchor).

The input is N health.l1 envelopes: N/10 hosts x 10 runs, each with the GPU findings of the
recorded xid13_repeated and remap_pending fixtures plus two disk findings, and an 8-GPU
inventory (~4 KB a line). Every format reads the JSONL through exporters/source.py (validation
included), like the CLI does. A format is one entry in FORMATS: JSONL lines in, output bytes out.
The `read only` row is that shared reader alone.

Usage: python bench/export.py [--envelopes 100000] [--repeat 3] [--only NAME]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from exporters.source import SourceStats, from_lines  # noqa: E402
from schemas.envelope import Envelope  # noqa: E402
from tests.support.prom_inputs import health_envelopes  # noqa: E402

GPUS = [
    {"index": i, "uuid": f"GPU-{i:08d}", "serial": f"165{i:010d}", "name": "NVIDIA H100",
     "vbios": "96.00.DA.00.0C", "bdf": f"0000:{i:02x}:00.0"}
    for i in range(8)
]  # fmt: skip
INVENTORY = {"system_vendor": "Supermicro", "product_name": "SYS-821GE",
             "product_serial": "S000000001", "driver_version": "580.159.04",
             "gpus": GPUS}  # fmt: skip


def read(lines: list[bytes]) -> Iterator[Envelope]:
    return from_lines(lines, "bench", SourceStats())


def read_only(lines: list[bytes]) -> bytes:
    return b"%d" % sum(1 for _ in read(lines))


def prometheus(lines: list[bytes]) -> bytes:
    from exporters.prometheus.app import exposition

    stats = SourceStats()
    return exposition(from_lines(lines, "bench", stats), stats, None)[0]


def siem(fmt: str) -> Callable[[list[bytes]], bytes]:
    def run(lines: list[bytes]) -> bytes:
        from exporters.siem.formats import lines as events

        return "\n".join(events(read(lines), fmt)).encode()

    return run


def cmdb(fmt: str) -> Callable[[list[bytes]], bytes]:
    def run(lines: list[bytes]) -> bytes:
        from exporters.cmdb import app

        return app.dry_run(app.CmdbArgs(fmt), read(lines)).encode()  # type: ignore[arg-type]

    return run


def report(lines: list[bytes]) -> bytes:
    from exporters.report.html import render

    return render(read(lines), "bench", "now").encode()


def every_pattern(value: str) -> str:
    """diag.redact._shapes before its pre-checks: every pattern on every value."""
    from diag import redact as r

    value = r._USERINFO.sub(lambda m: m.group(1) + r.MASK + "@", value)
    value = r._SCHEME_TOKEN.sub(lambda m: m.group(1) + m.group(2) + r.MASK, value)
    value = r._PARAM.sub(
        lambda m: f"{m.group(1)}={r.MASK}" if r.is_secret_name(m.group(1)) else m.group(0), value
    )
    value = r._HEADER.sub(
        lambda m: (
            m.group(1) + m.group(2) + m.group(3) + r.MASK
            if r.is_secret_name(m.group(2))
            else m.group(0)
        ),
        value,
    )
    return r._PAIR.sub(r._pair, value)


def before(fn: Callable[[list[bytes]], bytes]) -> Callable[[list[bytes]], bytes]:
    """`fn` with the redaction of before (the same-run "before" of the pre-check change)."""

    def run(lines: list[bytes]) -> bytes:
        from diag import redact

        kept, redact._shapes = redact._shapes, every_pattern  # type: ignore[assignment]
        try:
            return fn(lines)
        finally:
            redact._shapes = kept  # type: ignore[assignment]

    return run


FORMATS: dict[str, Callable[[list[bytes]], bytes]] = {
    "read only": read_only,
    "prometheus": prometheus,
    **{f"siem {fmt}": siem(fmt) for fmt in ("ecs", "ocsf", "hec", "syslog")},
    **{f"cmdb {fmt}": cmdb(fmt) for fmt in ("servicenow", "netbox", "csv")},
    "report --html": report,
    "siem ecs, before": before(siem("ecs")),
    "siem ocsf, before": before(siem("ocsf")),
}


def anchor(lines: list[bytes]) -> bytes:
    """The floor any JSON-in exporter pays: decode each line and encode it again."""
    return b"".join(json.dumps(json.loads(line)).encode() for line in lines)


def make_input(n: int) -> list[bytes]:
    template: Envelope = health_envelopes()[1]
    template = template.model_copy(update={"data": {**template.data, "inventory": INVENTORY}})
    hosts = max(1, n // 10)
    out = []
    for i in range(n):
        host = template.host.model_copy(update={"name": f"gpu-node-{i % hosts:05d}"})
        at = f"2026-11-22T{(i // hosts) % 24:02d}:00:00Z"
        out.append(template.model_copy(update={"host": host, "collected_at": at})
                   .model_dump_json().encode())  # fmt: skip
    return out


def best_of(fn: Callable[[list[bytes]], bytes], lines: list[bytes], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn(lines)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--envelopes", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", action="append", choices=list(FORMATS), help="these rows only")
    a = ap.parse_args()
    lines = make_input(a.envelopes)
    size = sum(len(x) for x in lines) / len(lines)
    base = best_of(anchor, lines, a.repeat)
    print(f"{a.envelopes} envelopes, {size:.0f} bytes/line, best of {a.repeat}")
    print(f"{'format':<24}{'envelopes/s':>14}{'x json.dumps':>14}")
    print(f"{'json.loads+dumps':<24}{a.envelopes / base:>14,.0f}{1.0:>14.2f}")
    for name, fn in FORMATS.items():
        if a.only and name not in a.only:
            continue
        t = best_of(fn, lines, a.repeat)
        print(f"{name:<24}{a.envelopes / t:>14,.0f}{base / t:>14.2f}")


if __name__ == "__main__":
    main()
