"""A real sshd test host that can "reboot": its sshd runs in a loop inside its own mount
namespace, where

- /proc/sys/kernel/random/boot_id is a bind mount of a file the test owns (the kernel's own
  file is read-only; the health payload and maintain read the bound one, as they would read
  the kernel's), and
- /var/lib is an overlay whose upper layer is a test directory, so the reboot intent diagctl
  writes to /var/lib/diagctl/reboot-intents.jsonl lands there and nothing on the machine
  itself changes.

A "reboot" (reboot_command) writes a new random boot id and stops the sshd; the loop starts a
new one after REBOOT_S (the host is away meanwhile). With the `halt` file present the loop
ends instead: the host never comes back. The test stops the loop in its finalizer.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from tests.integration.fleet.conftest import Keys, _wait_banner
from tests.support.net import free_port, stop
from tests.support.sshd import SSHD, sshd_config

REBOOT_S = 1.0


@dataclass
class Rebootable:
    d: Path
    port: int
    proc: subprocess.Popen[bytes]

    @property
    def boot_file(self) -> Path:
        return self.d / "boot_id"

    @property
    def intents(self) -> Path:
        return self.d / "upper" / "diagctl" / "reboot-intents.jsonl"

    def reboot_command(self) -> str:
        """The maintenance command of a reboot: new boot id, then the sshd goes away."""
        return f"cat /proc/sys/kernel/random/uuid > {self.boot_file}; kill $(cat {self.d}/sshd.pid)"

    def halt_command(self) -> str:
        """A reboot the host never comes back from."""
        return f"touch {self.d}/halt; kill $(cat {self.d}/sshd.pid)"

    def stop(self) -> None:
        """The loop and the sshd it runs: its whole process group (stopping only the loop's
        shell left the sshd listening after the test)."""
        (self.d / "halt").touch()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        stop(self.proc)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                os.killpg(self.proc.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)


def start(keys: Keys, d: Path) -> Rebootable:
    d.mkdir(parents=True, exist_ok=True)
    for sub in ("upper", "work"):
        (d / sub).mkdir(exist_ok=True)
    (d / "boot_id").write_text(f"{uuid.uuid4()}\n")
    port = free_port()
    conf = d / "sshd.conf"
    conf.write_text(
        sshd_config(port, "127.0.0.1", str(keys.hostkey), f"{keys.d}/authorized_keys",
                    pidfile=str(d / "sshd.pid"))
    )  # fmt: skip
    steps = [
        f"mount --bind {d}/boot_id /proc/sys/kernel/random/boot_id",
        f"mount -t overlay overlay -o lowerdir=/var/lib,upperdir={d}/upper,workdir={d}/work "
        "/var/lib",
    ]
    if (Path.home() / ".bashrc").exists():
        steps.append(f"mount --bind {keys.bashrc_empty} {Path.home() / '.bashrc'}")
    loop = (
        f"while [ ! -e {d}/halt ]; do {SSHD} -D -e -f {conf}; "
        f"[ -e {d}/halt ] || sleep {REBOOT_S}; done"
    )
    argv = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
            " && ".join(steps) + f" && {loop}"]  # fmt: skip
    log = open(d / "sshd.log", "wb")  # noqa: SIM115 - lives with the sshd
    proc = subprocess.Popen(argv, stdout=log, stderr=log, start_new_session=True)
    host = Rebootable(d, port, proc)
    try:
        _wait_banner("127.0.0.1", port, proc, "")
    except RuntimeError:
        host.stop()
        raise
    return host
