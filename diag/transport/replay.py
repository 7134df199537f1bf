"""Replay transport: serves what a previous `--out DIR` run recorded, touching no host.

DIR/hosts/<enc>/raw/payload.json is the payload's document as received; raw/stdout.bin and
stderr.bin hold output that was not a valid document; DIR/hosts/<enc>/envelope.json tells a
transport failure (unreachable, auth, ...) that left no raw capture (diag/artifacts.py has the
layout; the older DIR/<host>/ layout is read too).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import get_args

from diag.artifacts import host_dir, recorded_hosts
from diag.transport.base import CommandResult, ErrorKind, Target


class ReplayTransport:
    name = "replay"

    def __init__(self, root: Path) -> None:
        self.root = root
        self._dirs: dict[str, Path] = {}

    def hosts(self) -> list[str]:
        """Host names recorded under root, from each envelope.json (sorted)."""
        self._dirs = recorded_hosts(self.root)
        return list(self._dirs)

    async def run(
        self, host: Target, command: Sequence[str], stdin: bytes, timeout: float
    ) -> CommandResult:
        if not self._dirs:
            self.hosts()
        hdir = self._dirs.get(host.name) or host_dir(self.root, host.name)
        raw = hdir / "raw"
        if (raw / "payload.json").is_file():
            return CommandResult(0, (raw / "payload.json").read_bytes())
        if (raw / "stdout.bin").is_file():
            err = raw / "stderr.bin"
            return CommandResult(
                0, (raw / "stdout.bin").read_bytes(), err.read_bytes() if err.is_file() else b""
            )
        return self._recorded_failure(hdir)

    def _recorded_failure(self, hdir: Path) -> CommandResult:
        try:
            env = json.loads((hdir / "envelope.json").read_text())
            first = env["errors"][0]
        except (OSError, ValueError, KeyError, IndexError, TypeError):
            return CommandResult(
                None, error="transport", message=f"nothing recorded for this host under {hdir}"
            )
        code = first.get("code")
        kind: ErrorKind = code if code in get_args(ErrorKind) else "transport"
        return CommandResult(None, error=kind, message=f"(replayed) {first.get('message', '')}")

    async def close(self) -> None:
        return None
