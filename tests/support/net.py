"""Ports and processes of the real servers tests start (sshd, llama.cpp, Slurm, HTTP stand-ins)."""

from __future__ import annotations

import socket
import subprocess


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free right now on `host` (servers like sshd cannot be given port 0)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def stop(proc: subprocess.Popen[bytes], grace_s: float = 5.0) -> None:
    """Terminate, then kill after `grace_s`; always reaps the process."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(grace_s)
