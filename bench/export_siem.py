"""SIEM export throughput: events/s of each format over 100k envelopes, next to a plain
`json.dumps` loop over the same envelopes in the same run (the anchor).

    .venv/bin/python bench/export_siem.py [N]
"""

from __future__ import annotations

import json
import sys
import time

from exporters.siem.formats import FORMATS, lines
from schemas.envelope import Envelope, Finding, HostRef, Status


def envelopes(n: int) -> list[Envelope]:
    return [
        Envelope(kind="health.l1", tool_version="0.1.0", ok=False, status=Status.WARN,
                 host=HostRef(name=f"gpu-{i:05d}", address="10.0.0.7"), duration_ms=90,
                 collected_at="2026-03-01T10:00:00Z",
                 findings=[Finding(check_id="host.clock_sync", status=Status.WARN,
                                   message='clock "unsynced"\nü')])
        for i in range(n)
    ]  # fmt: skip


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    envs = envelopes(n)
    start = time.perf_counter()
    for env in envs:
        json.dumps(env.model_dump(mode="json"))
    anchor = n / (time.perf_counter() - start)
    print(f"anchor json.dumps(model_dump) {anchor:12,.0f} envelopes/s")
    for fmt in FORMATS:
        start = time.perf_counter()
        count = sum(1 for _ in lines(envs, fmt))
        rate = count / (time.perf_counter() - start)
        print(
            f"siem {fmt:<6} {rate:12,.0f} events/s  {rate / anchor:5.2f}x anchor  ({count} events)"
        )


if __name__ == "__main__":
    main()
