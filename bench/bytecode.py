"""Run benchmarked commands the way an installed diagctl runs: from bytecode caches.

`pip install` compiles every module to `.pyc`; a checkout run with PYTHONDONTWRITEBYTECODE=1
(this development machine sets it) recompiles each imported module from source on every run,
~60 of diagctl's modules for `health --local`, which is not what a user's cron job pays. The
benchmarks' children get no PYTHONDONTWRITEBYTECODE and a private PYTHONPYCACHEPREFIX (so no
`__pycache__` lands in the tree); the warm-up runs fill it, for every command alike.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile


def cached_env() -> dict[str, str]:
    """os.environ for the benchmarked commands: bytecode written once, then reused."""
    prefix = tempfile.mkdtemp(prefix="diagctl-bench-pyc-")
    atexit.register(shutil.rmtree, prefix, True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = prefix
    return env


def interpreter_of(command: str | None) -> str:
    """The interpreter the anchors (`python3 -c pass`, the stand-ins) run under: the one that
    runs `command` (a console script's `#!` line), else this one. Same interpreter, same
    `site`: a base interpreter can carry .pth hooks that a venv does not (this development
    machine's adds ~35 ms to every start through one), which would inflate the anchors and
    flatter every ratio."""
    if command:
        try:
            with open(command, "rb") as fh:
                first = fh.readline(4096)
        except OSError:
            first = b""
        if first.startswith(b"#!"):
            exe = first[2:].decode(errors="replace").strip().split()[0]
            if os.path.basename(exe).startswith("python") and os.access(exe, os.X_OK):
                return exe
    return sys.executable
