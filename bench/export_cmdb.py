#!/usr/bin/env python3
"""Benchmark: CMDB export (servicenow, netbox, csv) and the HTML report over N health envelopes,
each with a full inventory (8 GPUs), next to a plain `json.dumps` loop over the same envelopes
in the same run (the anchor: what any exporter pays to write the input back out).

Usage: python bench/export_cmdb.py [--envelopes 100000]
Prints envelopes/s per format and its ratio to the anchor. Input parsing is not timed (the
shared reader, exporters/source.py, is the same for every exporter).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from exporters.cmdb import app
from exporters.report.html import render
from schemas.envelope import Envelope, HostRef, Status


def envelopes(n: int) -> list[Envelope]:
    gpus = [
        {"index": i, "uuid": f"GPU-{i:08d}", "serial": f"165{i:010d}", "name": "NVIDIA H100",
         "vbios": "96.00.DA.00.0C", "bdf": f"0000:{i:02x}:00.0"}
        for i in range(8)
    ]  # fmt: skip
    inv = {"system_vendor": "Supermicro", "product_name": "SYS-821GE", "product_serial": "",
           "driver_version": "580.159.04", "gpus": gpus}  # fmt: skip
    out = []
    for i in range(n):
        inv = {**inv, "product_serial": f"S{i:09d}"}
        out.append(
            Envelope(kind="health.l1", tool_version="b", host=HostRef(name=f"gpu-{i:06d}"),
                     ok=True, status=Status.PASS, collected_at="2026-11-30T00:00:00Z",
                     duration_ms=1, data={"facts": {"kernel": "6.8"}, "inventory": inv})
        )  # fmt: skip
    return out


def timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--envelopes", type=int, default=100_000)
    n = ap.parse_args().envelopes
    envs = envelopes(n)
    dicts = [e.model_dump(mode="json") for e in envs]
    anchor = timed(lambda: [json.dumps(d) for d in dicts])
    print(f"{n} envelopes; anchor json.dumps loop: {n / anchor:,.0f} envelopes/s")
    for fmt in ("servicenow", "netbox", "csv"):
        args = app.CmdbArgs(fmt)  # type: ignore[arg-type]
        secs = timed(lambda a=args: app.dry_run(a, envs))  # type: ignore[misc]
        print(f"cmdb {fmt:<10} {n / secs:>10,.0f} envelopes/s  {anchor / secs:.2f}x anchor")
    secs = timed(lambda: render(envs, "bench", "now"))
    print(f"report --html   {n / secs:>10,.0f} envelopes/s  {anchor / secs:.2f}x anchor")


if __name__ == "__main__":
    main()
