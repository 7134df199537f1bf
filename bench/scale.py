#!/usr/bin/env python3
"""Scale benchmark: the same N sshd hosts through `diagctl health` fan-out and through
`ansible-playbook playbooks/health.yml` + `diagctl ingest`, in one run.

The hosts are bench/fanout.py's (loopback sshd instances, throwaway keys, strict host keys).
Prints wall time and jump-host CPU per host (rusage of the tool and its children: ansible's
forks and ssh processes count, the sshd servers do not), and the Ansible path as a ratio to
the diagctl fan-out measured in the same run (the anchor). Registry write rates come with the
shared registry. Needs root (mount namespaces), /usr/sbin/sshd and ansible-core (dev extra).
Usage: python bench/scale.py [--sizes 16,64] [--forks 64]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.fanout import Row, setup_keys, start_hosts, timed, write_known_hosts  # noqa: E402
from tests.support.net import stop  # noqa: E402

BIN = Path(sys.executable).parent


def inventory(d: Path, hosts: list[tuple[str, int]]) -> Path:
    path = d / "inventory.ini"
    key = d / "clientkey"
    path.write_text(
        "[gpu]\n"
        + "".join(
            f"h{i} ansible_host={a} ansible_port={p} ansible_user=root "
            f"ansible_ssh_private_key_file={key}\n"
            for i, (a, p) in enumerate(hosts)
        )
    )
    return path


def run_diagctl(d: Path, inv: Path, n: int, forks: int) -> Row:
    argv = [
        sys.executable, "-m", "diag.cli", "health", "-i", str(inv), "--known-hosts",
        str(d / "known_hosts"), "--forks", str(forks), "--timeout", "60", "--json",
    ]  # fmt: skip
    out = d / "diagctl.jsonl"
    wall, cpu = timed(argv, out)
    return Row("diagctl health", n, out.read_text().count('"payload_mode":"python"'), wall, cpu)


def run_ansible(d: Path, inv: Path, n: int, forks: int) -> tuple[Row, Row]:
    env = dict(os.environ)
    env.update(
        PATH=f"{BIN}:{env.get('PATH', '')}",
        ANSIBLE_HOME=str(d / "ansible-home"),
        ANSIBLE_SSH_CONTROL_PATH_DIR=str(d / "cp"),
        ANSIBLE_PYTHON_INTERPRETER=sys.executable,
    )
    out = d / "collected"
    shutil.rmtree(out, ignore_errors=True)
    extra = {"diagctl_out": str(out), "diagctl_known_hosts": str(d / "known_hosts")}
    argv = [str(BIN / "ansible-playbook"), "-i", str(inv), "-f", str(forks)]
    argv += [str(ROOT / "playbooks" / "health.yml"), "-e", json.dumps(extra)]
    wall_a, cpu_a = timed(argv, d / "ansible.log", env)
    ing = [sys.executable, "-m", "diag.cli", "ingest", str(out), "--json"]
    wall_i, cpu_i = timed(ing, d / "ingest.jsonl")
    ok = (d / "ingest.jsonl").read_text().count('"payload_mode":"python"')
    return (
        Row("ansible-playbook", n, ok, wall_a, cpu_a),
        Row("  + diagctl ingest", n, ok, wall_i, cpu_i),
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="16,64")
    ap.add_argument("--forks", type=int, default=64)
    args = ap.parse_args()
    print(f"{'path':<20} {'N':>4} {'ok':>4} {'wall s':>8} {'CPU ms/host':>12} {'vs diagctl':>11}")
    for n in (int(s) for s in args.sizes.split(",")):
        d = Path(tempfile.mkdtemp(prefix="diagctl-scale-"))
        setup_keys(d)
        hosts, procs = start_hosts(d, n)
        try:
            write_known_hosts(d, hosts)
            inv = inventory(d, hosts)
            anchor = run_diagctl(d, inv, n, args.forks)
            play, ing = run_ansible(d, inv, n, args.forks)
            total = Row("ansible + ingest", n, ing.ok, play.wall_s + ing.wall_s,
                        play.cpu_s + ing.cpu_s)  # fmt: skip
            for row in (anchor, play, ing, total):
                cpu_ms = row.cpu_s * 1000 / n
                ratio = f"{row.cpu_s / anchor.cpu_s:.1f}x cpu" if row is not anchor else "anchor"
                print(f"{row.tool:<20} {n:>4} {row.ok:>4} {row.wall_s:>8.2f} {cpu_ms:>12.1f} "
                      f"{ratio:>11}")  # fmt: skip
        finally:
            for p in procs:
                stop(p)
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
