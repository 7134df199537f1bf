#!/usr/bin/env python3
"""Exporter throughput: envelopes/s for each export format over N envelopes (default 100k),
next to a plain `json.loads` + `json.dumps` loop over the same JSONL in the same run.

The input is N health.l1 envelopes: N/10 hosts x 10 runs, each with the GPU findings of the
recorded xid13_repeated and remap_pending fixtures plus two disk findings (~3 KB a line). Every
format reads the JSONL through exporters/source.py (validation included), like the CLI does.
A format is one entry in FORMATS: a function from the JSONL lines to the output bytes.

Usage: python bench/export.py [--envelopes 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from exporters.source import SourceStats, from_lines  # noqa: E402
from schemas.envelope import Envelope  # noqa: E402
from tests.support.prom_inputs import health_envelopes  # noqa: E402


def prometheus(lines: list[bytes]) -> bytes:
    from exporters.prometheus.app import exposition

    stats = SourceStats()
    return exposition(from_lines(lines, "bench", stats), stats, None)[0]


FORMATS: dict[str, Callable[[list[bytes]], bytes]] = {
    "prometheus": prometheus,
}


def anchor(lines: list[bytes]) -> bytes:
    """The floor any JSON-in exporter pays: decode each line and encode it again."""
    return b"".join(json.dumps(json.loads(line)).encode() for line in lines)


def make_input(n: int) -> list[bytes]:
    template: Envelope = health_envelopes()[1]
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
    a = ap.parse_args()
    lines = make_input(a.envelopes)
    size = sum(len(x) for x in lines) / len(lines)
    base = best_of(anchor, lines, a.repeat)
    print(f"{a.envelopes} envelopes, {size:.0f} bytes/line, best of {a.repeat}")
    print(f"{'format':<24}{'envelopes/s':>14}{'x json.dumps':>14}")
    print(f"{'json.loads+dumps':<24}{a.envelopes / base:>14,.0f}{1.0:>14.2f}")
    for name, fn in FORMATS.items():
        t = best_of(fn, lines, a.repeat)
        print(f"{name:<24}{a.envelopes / t:>14,.0f}{base / t:>14.2f}")


if __name__ == "__main__":
    main()
