"""Replay transport: serves what a previous `--out DIR` run recorded, touching no host.

DIR/<host>/raw/payload.json is the payload's document as received; DIR/<host>/raw/stdout.bin
and stderr.bin hold output that was not a valid document; DIR/<host>/envelope.json tells a
transport failure (unreachable, auth, ...) that left no raw capture.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import get_args

from diag.artifacts import host_dirname
from diag.transport.base import CommandResult, ErrorKind, Target


class ReplayTransport:
    name = "replay"

    def __init__(self, root: Path) -> None:
        self.root = root

    def hosts(self) -> list[str]:
        """Host names recorded under root, from each envelope.json (sorted)."""
        names = []
        for env in sorted(self.root.glob("*/envelope.json")):
            try:
                names.append(json.loads(env.read_text())["host"]["name"])
            except (OSError, ValueError, KeyError, TypeError):
                names.append(env.parent.name)
        if not names:  # a bare fixture directory: DIR/<host>/raw/ only
            names = sorted(p.parent.name for p in self.root.glob("*/raw") if p.is_dir())
        return names

    async def run(
        self, host: Target, command: Sequence[str], stdin: bytes, timeout: float
    ) -> CommandResult:
        hdir = self.root / host_dirname(host.name)
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
