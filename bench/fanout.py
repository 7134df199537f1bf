#!/usr/bin/env python3
"""Fan-out benchmark: `diagctl health` over N real sshd hosts vs plain OpenSSH vs Ansible.

Starts N sshd instances on loopback (several 127.0.0.x addresses, distinct ports; a
throwaway host key; each in its own mount namespace with an empty ~/.bashrc so a developer
.bashrc does not dominate), then for each N runs, one after the other:
  diagctl-asyncssh  python -m diag.cli health -i HOSTS --transport asyncssh --forks 64
  diagctl-fabric    the same with --transport fabric
  diagctl-asyncssh-w2  (optional) asyncssh with --workers 2
  asyncssh-bare     (optional) diagctl's asyncssh transport alone, running `true`
  openssh-xargs     xargs -P 64 ... ssh -o KexAlgorithms=curve25519-sha256 HOST sh -s < payload
  ansible-raw       ansible all -m raw -a 'echo B64 | base64 -d | sh -s' -f 64 (same kex pin)
Every tool sends the same payload (the `sh -s` wrapper diagctl sends) with strict host-key
checking. It prints wall time, hosts/s, and jump-host CPU ms per host from the tool's rusage
(children included; the sshd servers are not children, so their CPU is not counted).

Needs root (mount namespaces), /usr/sbin/sshd, ssh, xargs; ansible-core for the last row.
Usage: python bench/fanout.py [--sizes 16,64,256] [--tools ...] [--profile FILE]
"""

from __future__ import annotations

import argparse
import base64
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.support.net import free_port  # noqa: E402
from tests.support.sshd import SSHD, keygen, sshd_config  # noqa: E402

KEX = "curve25519-sha256"


@dataclass
class Row:
    tool: str
    n: int
    ok: int
    wall_s: float
    cpu_s: float


def start_hosts(d: Path, n: int) -> tuple[list[tuple[str, int]], list[subprocess.Popen[bytes]]]:
    hosts, procs = [], []
    rc = Path.home() / ".bashrc"
    empty = d / "bashrc_empty"
    empty.write_text("")
    for i in range(n):
        addr = f"127.0.0.{1 + i % 8}"
        port = free_port(addr)
        conf = d / f"sshd_{i}.conf"
        conf.write_text(sshd_config(port, addr, f"{d}/hostkey", f"{d}/authorized_keys"))
        cmd = f"exec {SSHD} -D -e -f {conf}"
        if rc.exists():
            cmd = f"mount --bind {empty} {rc} && {cmd}"
        procs.append(
            subprocess.Popen(
                ["unshare", "--mount", "--propagation", "private", "sh", "-c", cmd],
                stderr=subprocess.DEVNULL,
            )
        )
        hosts.append((addr, port))
    for (addr, port), p in zip(hosts, procs, strict=True):
        wait_banner(addr, port, p)
    return hosts, procs


def wait_banner(addr: str, port: int, p: subprocess.Popen[bytes]) -> None:
    end = time.monotonic() + 20
    while time.monotonic() < end:
        if p.poll() is not None:
            raise SystemExit(f"sshd {addr}:{port} exited {p.returncode}")
        try:
            with socket.create_connection((addr, port), timeout=1) as s:
                if s.recv(4) == b"SSH-":
                    return
        except OSError:
            time.sleep(0.02)
    raise SystemExit(f"sshd {addr}:{port}: no banner")


def timed(argv: list[str], stdout: Path, env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user+sys, the process and its waited-for children)."""
    t0 = time.monotonic()
    with open(stdout, "wb") as out, open(stdout.with_suffix(".err"), "wb") as err:
        p = subprocess.Popen(argv, stdout=out, stderr=err, env=env)
        _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return time.monotonic() - t0, ru.ru_utime + ru.ru_stime


PROFILE: list[Path] = []  # --profile FILE: run diagctl under cProfile, stats written there


def run_diagctl(d: Path, hosts: list[tuple[str, int]], transport: str, workers: int = 1) -> Row:
    lst = d / "hosts.txt"
    lst.write_text("".join(f"root@{a}:{p}\n" for a, p in hosts))
    prof = ["-m", "cProfile", "-o", str(PROFILE[0])] if PROFILE else []
    argv = [
        sys.executable, *prof, "-m", "diag.cli", "health", "-i", str(lst), "--transport", transport,
        "--identity", str(d / "clientkey"), "--known-hosts", str(d / "known_hosts"),
        "--forks", "64", "--timeout", "60", "--workers", str(workers),
    ]  # fmt: skip
    out = d / f"out_{transport}.jsonl"
    wall, cpu = timed(argv, out)
    ok = out.read_text().count('"payload_mode":"python"')
    name = f"diagctl-{transport}" + (f"-w{workers}" if workers > 1 else "")
    return Row(name, len(hosts), ok, wall, cpu)


def run_bare(d: Path, hosts: list[tuple[str, int]]) -> Row:
    """diagctl's asyncssh transport alone running `true` (no payload, no analysis)."""
    lst = d / "bare_hosts.txt"
    lst.write_text("".join(f"{a} {p}\n" for a, p in hosts))
    out = d / "out_bare.txt"
    wall, cpu = timed([sys.executable, __file__, "--bare", str(d)], out)
    ok = int(out.read_text().strip() or 0)
    return Row("asyncssh-bare-true", len(hosts), ok, wall, cpu)


def bare_main(d: Path) -> None:
    import asyncio

    from diag.transport.asyncssh_transport import AsyncSSHTransport
    from diag.transport.base import Target
    from diag.transport.ssh_common import SSHSettings

    hosts = [ln.split() for ln in (d / "bare_hosts.txt").read_text().splitlines()]
    settings = SSHSettings(known_hosts=d / "known_hosts", identity=str(d / "clientkey"))

    async def main() -> int:
        tr = AsyncSSHTransport(settings)
        sem = asyncio.Semaphore(64)

        async def one(addr: str, port: str) -> bool:
            async with sem:
                t = Target(name=addr, address=addr, port=int(port), user="root")
                return (await tr.run(t, ["true"], b"", 30)).exit_code == 0

        return sum(await asyncio.gather(*(one(a, p) for a, p in hosts)))

    print(asyncio.run(main()))


def ssh_opts(d: Path) -> list[str]:
    return [
        "-i", str(d / "clientkey"), "-o", f"UserKnownHostsFile={d / 'known_hosts'}",
        "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", f"KexAlgorithms={KEX}",
        "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR",
    ]  # fmt: skip


def run_xargs(d: Path, hosts: list[tuple[str, int]], payload: Path) -> Row:
    lst = d / "xargs_hosts.txt"
    lst.write_text("".join(f"{a} {p}\n" for a, p in hosts))
    opts = " ".join(ssh_opts(d))
    # xargs gives its children /dev/null as stdin, so one `sh -c` per host redirects the payload.
    script = f'ssh {opts} -p "$2" "root@$1" sh -s < {payload}'
    argv = ["xargs", "-P", "64", "-L", "1", "sh", "-c", script, "x"]
    out = d / "out_xargs.txt"
    t0 = time.monotonic()
    with open(lst, "rb") as stdin, open(out, "wb") as fh:
        p = subprocess.Popen(argv, stdin=stdin, stdout=fh, stderr=subprocess.DEVNULL)
        _, _status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    ok = out.read_text(errors="replace").count('"payload_version"')
    return Row("openssh-xargs-P64", len(hosts), ok, wall, ru.ru_utime + ru.ru_stime)


def run_ansible(d: Path, hosts: list[tuple[str, int]], payload: Path) -> Row | None:
    exe = shutil.which("ansible")
    if exe is None:
        print("ansible not found: pip install ansible-core to add its row", file=sys.stderr)
        return None
    inv = d / "ansible_hosts.ini"
    inv.write_text(
        "[all]\n"
        + "".join(f"h{i} ansible_host={a} ansible_port={p}\n" for i, (a, p) in enumerate(hosts))
        + f"[all:vars]\nansible_user=root\nansible_ssh_private_key_file={d / 'clientkey'}\n"
    )
    env = dict(
        os.environ,
        ANSIBLE_HOST_KEY_CHECKING="True",
        ANSIBLE_SSH_ARGS=" ".join(ssh_opts(d)[2:]),
        ANSIBLE_GATHERING="explicit",
        ANSIBLE_LOCAL_TEMP=str(d / "ansible_tmp"),
        ANSIBLE_STDOUT_CALLBACK="minimal",
        ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
    )
    # ansible splits -a on quotes and templates {{ }}: the same payload travels base64-encoded.
    b64 = base64.b64encode(payload.read_bytes()).decode()
    raw = f"echo {b64} | base64 -d | sh -s"
    argv = [exe, "all", "-i", str(inv), "-m", "raw", "-a", raw, "-f", "64"]
    if os.environ.get("DGF_BENCH_DEBUG"):
        print(" ".join(argv[:6]), env["ANSIBLE_SSH_ARGS"], file=sys.stderr)
    out = d / "out_ansible.txt"
    wall, cpu = timed(argv, out, env)
    if os.environ.get("DGF_BENCH_DEBUG"):
        print(out.with_suffix(".err").read_text(errors="replace")[:3000], file=sys.stderr)
    ok = out.read_text(errors="replace").count('"payload_version"')
    return Row("ansible-raw-f64", len(hosts), ok, wall, cpu)


def setup_keys(d: Path) -> None:
    keygen(d / "hostkey")
    keygen(d / "clientkey")
    (d / "authorized_keys").write_text((d / "clientkey.pub").read_text())


def write_known_hosts(d: Path, hosts: list[tuple[str, int]]) -> None:
    kind, blob = (d / "hostkey.pub").read_text().split()[:2]
    (d / "known_hosts").write_text("".join(f"[{a}]:{p} {kind} {blob}\n" for a, p in hosts))


def write_payload(d: Path) -> Path:
    from diag.checks import REGISTRY, sources_for
    from diag.payload import build_sh

    path = d / "payload.sh"
    path.write_bytes(build_sh(sources_for(list(REGISTRY.values())), 28.0))
    return path


def print_table(rows: list[Row]) -> None:
    print(f"{'tool':<20} {'N':>4} {'ok':>4} {'wall s':>8} {'hosts/s':>8} {'CPU ms/host':>12}")
    for r in rows:
        print(
            f"{r.tool:<20} {r.n:>4} {r.ok:>4} {r.wall_s:>8.2f} {r.n / r.wall_s:>8.1f} "
            f"{1000 * r.cpu_s / r.n:>12.1f}"
        )
    print("\nmarginal CPU ms per extra host (largest N vs smallest N, start-up cost removed):")
    for tool in dict.fromkeys(r.tool for r in rows):
        mine = sorted((r for r in rows if r.tool == tool), key=lambda r: r.n)
        if len(mine) >= 2 and mine[-1].n > mine[0].n:
            lo, hi = mine[0], mine[-1]
            print(f"  {tool:<20} {1000 * (hi.cpu_s - lo.cpu_s) / (hi.n - lo.n):.1f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="16,64,256")
    ap.add_argument("--tools", default="diagctl-asyncssh,diagctl-fabric,openssh-xargs,ansible")
    ap.add_argument("--bare", type=Path, help=argparse.SUPPRESS)  # internal: asyncssh-bare
    ap.add_argument("--profile", type=Path, help="cProfile the diagctl runs into this file")
    args = ap.parse_args()
    PROFILE.extend([args.profile.resolve()] if args.profile else [])
    if args.bare:
        return bare_main(args.bare)
    if os.geteuid() != 0 or not os.path.exists(SSHD):
        raise SystemExit("needs root and /usr/sbin/sshd (apt-get install openssh-server)")
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    tools = args.tools.split(",")
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="dgf-bench-") as tmp:
        d = Path(tmp)
        setup_keys(d)
        payload = write_payload(d)
        for n in (int(x) for x in args.sizes.split(",")):
            hosts, procs = start_hosts(d, n)
            try:
                write_known_hosts(d, hosts)
                for tool in tools:
                    row = run_tool(tool, d, hosts, payload)
                    if row is not None:
                        rows.append(row)
                        print(f"# {row}", file=sys.stderr, flush=True)
            finally:
                for p in procs:
                    p.terminate()
                for p in procs:
                    p.wait(10)
    print(f"# cpus={os.cpu_count()} python={sys.version.split()[0]} kex(openssh,ansible)={KEX}")
    print_table(rows)


def run_tool(tool: str, d: Path, hosts: list[tuple[str, int]], payload: Path) -> Row | None:
    if tool.startswith("diagctl-"):
        transport, _, w = tool.split("-", 1)[1].partition("-w")
        return run_diagctl(d, hosts, transport, int(w or 1))
    if tool == "asyncssh-bare":
        return run_bare(d, hosts)
    if tool == "openssh-xargs":
        return run_xargs(d, hosts, payload)
    if tool == "ansible":
        return run_ansible(d, hosts, payload)
    raise SystemExit(f"unknown tool {tool}")


if __name__ == "__main__":
    main()
