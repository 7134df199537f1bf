"""Replay transport: serves what a previous `--out DIR` run recorded, touching no host.

DIR/hosts/<enc>/raw/payload.json is the payload's document as received; raw/stdout.bin and
stderr.bin hold output that was not a valid document; DIR/hosts/<enc>/envelope.json tells a
transport failure (unreachable, auth, ...) that left no raw capture (diag/artifacts.py has the
layout; the older DIR/<host>/ layout is read too).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

from diag.artifacts import host_dir, recorded_hosts
from diag.transport.base import CommandResult, ErrorKind, Target
from schemas.envelope import Replayed


@dataclass(frozen=True)
class Recorded:
    """What the recorded envelope says about its host; empty where it says nothing usable."""

    address: str = ""
    host_class: str = ""
    collected_at: str = ""


def _text(doc: Any, *keys: str) -> str:
    for key in keys:
        doc = doc.get(key) if isinstance(doc, dict) else None
    return doc if isinstance(doc, str) else ""


class ReplayTransport:
    name = "replay"

    def __init__(self, root: Path) -> None:
        self.root = root
        self._dirs: dict[str, Path] = {}

    def hosts(self) -> list[str]:
        """Host names recorded under root, from each envelope.json (sorted)."""
        self._dirs = recorded_hosts(self.root)
        return list(self._dirs)

    def recorded(self, name: str) -> Recorded:
        """The address, host class and collection time the recorded envelope.json holds."""
        if not self._dirs:
            self.hosts()
        hdir = self._dirs.get(name) or host_dir(self.root, name)
        try:
            env = json.loads((hdir / "envelope.json").read_text(encoding="utf-8", errors="replace"))
        except (OSError, ValueError, RecursionError):
            return Recorded()
        return Recorded(
            address=_text(env, "host", "address"),
            host_class=_text(env, "data", "host_class"),
            collected_at=_text(env, "collected_at"),
        )

    def provenance(self, name: str, now: str) -> tuple[str, Replayed | None]:
        """(the recorded collected_at, or `now` where none was recorded; the replay marker)."""
        marker = Replayed(at=now, source=str(self.root.resolve()))
        return self.recorded(name).collected_at or now, marker

    def target(self, name: str) -> Target:
        """The host as it was recorded: its name, address and class (it is never connected to)."""
        rec = self.recorded(name)
        return Target(name=name, address=rec.address, host_class=rec.host_class)

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
