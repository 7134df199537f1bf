#!/usr/bin/env python3
"""Benchmark: where `diagctl health --local`'s CPU time goes, and the wall-time floor it sets.

Usage: python bench/health_cpu.py [--runs 15] [--diagctl PATH]
Runs interleave, each piece on its own, and each figure is a median of CPU time (user+sys,
children included) next to its wall time:
- the anchors: `python3 -c pass` and bench/nvidia_standin.py `health` (a STAND-IN for NVIDIA's
  `spark_diagctl.py health`; the real script is not in this repository), both under diagctl's
  own interpreter (bench/bytecode.py);
- `diagctl health --local` whole;
- its payload child alone (the same argv and stdin the run sends, diag.payload.early), with the
  commands it runs;
- each of the payload's commands alone, with the environment the collector gives them;
- by difference: the payload's python without its commands, and diagctl's own process.

Then the floor: no run can take less wall time than its CPU time over the machine's cores, so
`CPU / cores` above 1.3x the stand-in's wall time means that 1.3x cannot be met by reordering
work, only by doing less of it. The payload's NVML fallbacks (`nvidia-smi`) are not timed alone:
they run only where NVML is missing, and their cost is in the payload's figure.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bytecode import cached_env, interpreter_of

HERE = Path(__file__).resolve().parent
ENV = cached_env()
# What diag/payload/collector.py's cap_cmd gives its commands.
CMD_ENV = dict(ENV, LC_ALL="C", LANG="C", TERM="dumb", SYSTEMD_PAGER="", PAGER="cat")

# Run by diagctl's interpreter: the payload's argv and stdin, and its commands, as JSON.
DUMP = """
import json, sys
from diag.fastpath.argv import LocalHealth
from diag.payload import local_argv
from diag.payload.early import CAPTURES_FILE, default_program
prog = default_program(LocalHealth().timeout)  # what a plain `health --local` sends
with open(CAPTURES_FILE, encoding="utf-8") as fh:
    caps = json.load(fh)
cmds = [c["argv"] for c in caps if c.get("type") == "cmd"]
json.dump({"argv": list(local_argv()), "stdin": prog.hex(), "cmds": cmds}, sys.stdout)
"""


def _cpu_ms() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (ru.ru_utime + ru.ru_stime) * 1000


def _once(
    argv: list[str], stdin: bytes, env: dict[str, str], ok: tuple[int, ...]
) -> tuple[float, float]:
    """Wall ms and CPU ms of one run (the command and the children it reaps); an exit status
    outside `ok` (when given) ends the benchmark: a run that failed measures nothing."""
    t0, c0 = time.perf_counter(), _cpu_ms()
    res = subprocess.run(argv, input=stdin, capture_output=True, check=False, env=env)
    wall, cpu = (time.perf_counter() - t0) * 1000, _cpu_ms() - c0
    if ok and res.returncode not in ok:
        sys.exit(f"{argv[:4]} exited {res.returncode}: {res.stderr.decode()[-300:]}")
    return wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--diagctl", default=shutil.which("diagctl") or "", help="[diagctl on PATH]")
    args = ap.parse_args()
    if args.diagctl and not shutil.which(args.diagctl):
        sys.exit(f"no diagctl to run at {args.diagctl!r}")
    base = [args.diagctl] if args.diagctl else [sys.executable, "-m", "diag.cli"]
    py3 = interpreter_of(args.diagctl)
    spec = json.loads(subprocess.run([py3, "-c", DUMP], capture_output=True, check=True).stdout)
    payload_stdin = bytes.fromhex(spec["stdin"])
    # name: argv, stdin, environment, the exit statuses that mean it ran (empty: any; the
    # payload records a command's failure, as timedatectl's on a host without timedated)
    cases: dict[str, tuple[list[str], bytes, dict[str, str], tuple[int, ...]]] = {
        "python3 -c pass": ([py3, "-c", "pass"], b"", ENV, (0,)),
        "stand-in": ([py3, str(HERE / "nvidia_standin.py"), "health"], b"", ENV, (0,)),
        "health --local": ([*base, "health", "--local", "--json"], b"", ENV, (0, 3, 6)),
        "payload child": (spec["argv"], payload_stdin, ENV, (0,)),
    }
    for argv in spec["cmds"]:
        if shutil.which(argv[0], path=CMD_ENV.get("PATH")):
            cases["  " + " ".join(argv)[:44]] = (argv, b"", CMD_ENV, ())
    walls: dict[str, list[float]] = {k: [] for k in cases}
    cpus: dict[str, list[float]] = {k: [] for k in cases}
    for case in cases.values():  # warm the page cache and bytecode caches
        _once(*case)
    for _ in range(args.runs):
        for name, case in cases.items():
            w, c = _once(*case)
            walls[name].append(w)
            cpus[name].append(c)
    wall = {k: statistics.median(v) for k, v in walls.items()}
    cpu = {k: statistics.median(v) for k, v in cpus.items()}
    cmd_names = [k for k in cases if k.startswith("  ")]
    cmds_cpu = sum(cpu[k] for k in cmd_names)
    cores = os.cpu_count() or 1
    print(f"host: {os.uname().nodename} cores={cores} python={sys.version.split()[0]}")
    print(f"runs={args.runs} (interleaved) load1={os.getloadavg()[0]:.1f} diagctl={' '.join(base)}")
    print(f"{'piece':<48} {'CPU ms':>7} {'wall ms':>8}")
    for name in cases:
        if name in cmd_names[:1]:
            print("its commands, each alone:")
        print(f"{name:<48} {cpu[name]:>7.1f} {wall[name]:>8.1f}")
    print(f"{'commands, sum':<48} {cmds_cpu:>7.1f}")
    print(f"{'payload python without its commands':<48} {cpu['payload child'] - cmds_cpu:>7.1f}")
    own = cpu["health --local"] - cpu["payload child"]
    print(f"{'diagctl own process (whole less payload child)':<48} {own:>7.1f}")
    floor, target = cpu["health --local"] / cores, 1.3 * wall["stand-in"]
    print(
        f"floor: CPU {cpu['health --local']:.0f} ms / {cores} cores = {floor:.0f} ms of wall; "
        f"1.3x the stand-in = {target:.0f} ms; measured {wall['health --local']:.0f} ms "
        f"({wall['health --local'] / wall['stand-in']:.2f}x)"
    )


if __name__ == "__main__":
    main()
