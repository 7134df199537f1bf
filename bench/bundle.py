"""`diagctl bundle --local` on a host with a 200 MB journal-sized log: time, bytes, caps.

journald does not run on this VM (no systemd as PID 1), so the 200 MB log is a synthetic
file source (`--file`) of journal-like lines; the bundle reads it the same way it reads any log
(its end, capped). Anchor, measured in the same run: `cat LOG > /dev/null` (one read of the
whole file) and `python3 -c pass`.

    .venv/bin/python bench/bundle.py [--mb 200]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from diag.bundle_land import verify

LINE = (
    b"2026-11-30T10:00:00.000000+00:00 gpu-node-4 kernel: NVRM: Xid (PCI:0000:3b:00): 79, "
    b"pid=%07d token=abcdefgh\n"
)


def timed(argv: list[str]) -> tuple[float, subprocess.CompletedProcess[bytes]]:
    t0 = time.monotonic()
    r = subprocess.run(argv, capture_output=True, check=False)
    return time.monotonic() - t0, r


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=200)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        log = Path(d) / "journal.log"
        with log.open("wb") as fh:
            block = b"".join(LINE % i for i in range(10_000))
            while fh.tell() < a.mb << 20:
                fh.write(block)
        size = log.stat().st_size
        cat_s, _ = timed(["cat", str(log)])
        py_s, _ = timed([sys.executable, "-c", "pass"])
        out = Path(d) / "out"
        argv = [
            sys.executable,
            "-m",
            "diag.cli",
            "bundle",
            "--local",
            "--json",
            "--out",
            str(out),
            "--file",
            str(log),
        ]
        s, r = timed(argv)
        env = json.loads(r.stdout)
        m = verify(Path(env["data"]["path"]))
        kept = sum(f.bytes for f in m.files)
        big = next(f for f in m.files if f.path == "files" + str(log))
    print(f"log: {size / 1e6:.0f} MB synthetic journal-like file")
    print(
        f"bundle --local: {s:.2f} s (exit {r.returncode}); anchor cat LOG: {cat_s:.2f} s "
        f"-> {s / cat_s:.1f}x; python3 -c pass: {py_s * 1000:.0f} ms"
    )
    print(
        f"bundle file: {env['data']['bytes'] / 1e6:.2f} MB compressed, {kept / 1e6:.2f} MB "
        f"kept in {len(m.files)} artifacts ({kept / size:.3f} of the log size)"
    )
    print(
        f"caps: artifact {m.caps.artifact_cap >> 20} MiB, total {m.caps.total_cap >> 20} MiB; "
        f"log kept {big.bytes} bytes, cut {big.truncated_bytes}; held: "
        f"{big.bytes <= m.caps.artifact_cap and kept <= m.caps.total_cap}; under 30 s: {s < 30}"
    )


if __name__ == "__main__":
    main()
