"""Helpers for the probe integration tests (a unique module name: `conftest` is not)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.net import free_port


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "diag.cli", *args],
        capture_output=True, text=True, timeout=120, env=env, check=False,
    )  # fmt: skip


# ---- Slurm -------------------------------------------------------------------------------

SLURM_CONF = """ClusterName=dgp
SlurmctldHost={host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/none
CredType=cred/none
StateSaveLocation={d}/state
SlurmdSpoolDir={d}/spool/%n
SlurmctldPidFile={d}/slurmctld.pid
SlurmdPidFile={d}/slurmd-%n.pid
SlurmctldLogFile={d}/log/slurmctld.log
SlurmdLogFile={d}/log/slurmd-%n.log
SlurmctldPort={ctl_port}
SlurmdPort={d_port}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName={host} NodeAddr=127.0.0.1 CPUs=2 RealMemory=1000 State=UNKNOWN
{extra_nodes}PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
"""


EXTRA_NODES = ("dgpn2", "dgpn3", "dgpn4")


def extra_nodes_conf() -> str:
    """One more slurmd per node on this host (`slurmd -N NAME`), each on its own port."""
    return "".join(
        f"NodeName={n} NodeAddr=127.0.0.1 Port={free_port()} CPUs=2 RealMemory=1000 State=UNKNOWN\n"
        for n in EXTRA_NODES
    )


class Slurm:
    def __init__(self, d: Path, host: str) -> None:
        self.d, self.host = d, host
        self.env = {**os.environ, "SLURM_CONF": str(d / "slurm.conf")}

    def scontrol(self, *args: str) -> str:
        res = subprocess.run(["scontrol", *args], capture_output=True, text=True,
                             env=self.env, timeout=30, check=False)  # fmt: skip
        assert res.returncode == 0, res.stderr
        return res.stdout

    def node(self, name: str) -> dict[str, str]:
        from probes.backends.slurm import parse_show_node

        return parse_show_node(self.scontrol("show", "node", "-o", name))

    def sinfo_state(self, name: str) -> str:
        res = subprocess.run(["sinfo", "-h", "-N", "-n", name, "-o", "%T|%E"],
                             capture_output=True, text=True, env=self.env, timeout=30,
                             check=False)  # fmt: skip
        return res.stdout.strip()


class SlowLink:
    def __init__(self, ns: str, host_if: str, ns_addr: str) -> None:
        self.ns, self.host_if, self.ns_addr = ns, host_if, ns_addr
