#!/usr/bin/env python3
"""A measured 1,000-host run: `diagctl health` over 1,000 distinct inventory names served by
real sshd instances on loopback, next to OpenSSH (xargs -P 64) fetching the same payload from
the same names in the same run.

Starts S sshd processes (bench/fanout.py's start_hosts: 127.0.0.1-8, free ports, private mount
namespaces with an empty ~/.bashrc) and writes a diagctl YAML inventory of N names, name i on
server i mod S. For `--workers 1` and the default (0: one per core once each has 256 hosts) it
reports wall time, jump-host CPU per host (rusage of diagctl and its worker processes), the peak
resident memory and open file descriptors of diagctl's process tree (sampled every 100 ms from
/proc), and how many envelopes came back with the full python payload. Then the 10,000-host
figure for a 16-core jump host, EXTRAPOLATED from the measured CPU per host.

Needs root, /usr/sbin/sshd, ssh, xargs. Usage:
  python bench/thousand.py [--hosts 1000] [--servers 50] [--workers 1,0]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fanout import (
    SSHD,
    run_xargs,
    setup_keys,
    start_hosts,
    write_known_hosts,
    write_payload,
)

PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Result:
    label: str
    n: int
    ok: int
    names: int
    wall_s: float
    cpu_s: float
    peak_rss_mib: float
    peak_fds: int
    procs: int


def tree(root: int) -> list[int]:
    """`root` and every descendant, from /proc/*/stat parent pids."""
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += kids.get(pid, [])
    return out


def sample(pids: list[int]) -> tuple[int, int]:
    """Resident bytes and open fds summed over `pids` (a process that just left counts 0)."""
    rss = fds = 0
    for pid in pids:
        try:
            rss += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
            fds += len(os.listdir(f"/proc/{pid}/fd"))
        except (OSError, IndexError, ValueError):
            continue
    return rss, fds


def monitored(argv: list[str], stdout: Path) -> tuple[float, float, int, int, int]:
    """Run argv; wall s, CPU s (with children), peak RSS bytes, peak fds, peak processes."""
    peak = [0, 0, 0]
    t0 = time.monotonic()
    with open(stdout, "wb") as out, open(stdout.with_suffix(".err"), "wb") as err:
        proc = subprocess.Popen(argv, stdout=out, stderr=err)
        done = threading.Event()

        def watch() -> None:
            while not done.wait(0.1):
                pids = tree(proc.pid)
                rss, fds = sample(pids)
                peak[0], peak[1] = max(peak[0], rss), max(peak[1], fds)
                peak[2] = max(peak[2], len(pids))

        th = threading.Thread(target=watch, daemon=True)
        th.start()
        _, status, ru = os.wait4(proc.pid, 0)
        done.set()
        th.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return time.monotonic() - t0, ru.ru_utime + ru.ru_stime, peak[0], peak[1], peak[2]


def write_inventory(d: Path, n: int, servers: list[tuple[str, int]]) -> Path:
    lines = ["vars: {user: root}", "hosts:"]
    for i in range(n):
        addr, port = servers[i % len(servers)]
        lines.append(f"  node-{i:04d}: {{address: '{addr}', port: {port}}}")
    path = d / "inventory.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def run_diagctl(d: Path, inv: Path, n: int, workers: int) -> Result:
    argv = [
        sys.executable, "-m", "diag.cli", "health", "-i", str(inv), "--json",
        "--identity", str(d / "clientkey"), "--known-hosts", str(d / "known_hosts"),
        "--forks", "64", "--timeout", "120", "--workers", str(workers),
    ]  # fmt: skip
    out = d / f"out_w{workers}.jsonl"
    wall, cpu, rss, fds, procs = monitored(argv, out)
    text = out.read_text()
    names = {ln.split('"name":"', 1)[1].split('"', 1)[0] for ln in text.splitlines() if ln}
    label = f"diagctl --workers {workers}" + (" (default)" if workers == 0 else "")
    ok = text.count('"payload_mode":"python"')
    return Result(label, n, ok, len(names), wall, cpu, rss / 2**20, fds, procs)


def run_anchor(d: Path, n: int, servers: list[tuple[str, int]], payload: Path) -> Result:
    """OpenSSH over the same N (address, port) pairs, xargs -P 64 (bench/fanout.py's row)."""
    hosts = [servers[i % len(servers)] for i in range(n)]
    row = run_xargs(d, hosts, payload)
    return Result("openssh-xargs-P64", n, row.ok, n, row.wall_s, row.cpu_s, 0.0, 0, 0)


def report(rows: list[Result], cpus: int | None) -> None:
    print(f"# jump host: {cpus} cores, python {sys.version.split()[0]}; hosts share those cores")
    head = f"{'run':<30} {'N':>5} {'ok':>5} {'names':>5} {'wall s':>7} {'CPU ms/host':>11}"
    print(head + f" {'vs ssh':>7} {'peak RSS MiB':>12} {'peak fds':>8} {'procs':>5}")
    ssh = next((r for r in rows if r.label.startswith("openssh")), None)
    for r in rows:
        per = 1000 * r.cpu_s / r.n
        ratio = f"{per / (1000 * ssh.cpu_s / ssh.n):.2f}x" if ssh else "-"
        mem = f"{r.peak_rss_mib:12.0f} {r.peak_fds:>8} {r.procs:>5}" if r.procs else " " * 12
        print(
            f"{r.label:<30} {r.n:>5} {r.ok:>5} {r.names:>5} {r.wall_s:>7.1f} {per:>11.2f} "
            f"{ratio:>7} {mem}"
        )
    best = min((r for r in rows if r.label.startswith("diagctl")), key=lambda r: r.cpu_s)
    per_ms = 1000 * best.cpu_s / best.n
    cpu_10k = 10_000 * per_ms / 1000
    print(
        f"\nEXTRAPOLATED, not measured: 10,000 hosts on a 16-core jump host at {per_ms:.2f} ms "
        f"CPU/host ({best.label}) = {cpu_10k:.0f} CPU-s, {cpu_10k / 16:.1f} s per core with "
        f"--workers 16; memory ~{17 * best.peak_rss_mib / best.procs:.0f} MiB (17 processes "
        "of this run's mean size)."
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hosts", type=int, default=1000)
    ap.add_argument("--servers", type=int, default=50)
    ap.add_argument("--workers", default="1,0")
    ap.add_argument("--no-anchor", action="store_true", help="skip the OpenSSH row")
    args = ap.parse_args()
    if os.geteuid() != 0 or not os.path.exists(SSHD):
        raise SystemExit("needs root and /usr/sbin/sshd (apt-get install openssh-server)")
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    rows: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="dgf-1k-") as tmp:
        d = Path(tmp)
        setup_keys(d)
        payload = write_payload(d)
        servers, procs = start_hosts(d, args.servers)
        try:
            write_known_hosts(d, servers)
            inv = write_inventory(d, args.hosts, servers)
            for w in (int(x) for x in args.workers.split(",")):
                rows.append(run_diagctl(d, inv, args.hosts, w))
                print(f"# {rows[-1]}", file=sys.stderr, flush=True)
            if not args.no_anchor:
                rows.append(run_anchor(d, args.hosts, servers, payload))
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                p.wait(10)
    report(rows, os.cpu_count())


if __name__ == "__main__":
    main()
