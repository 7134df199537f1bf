"""The optional parts of a phase playbook's collection that are not envelopes of their own:
retire.yml's read-only erase-capability detection (`erase/`) and receive.yml's burn-in command
(`burn-in/`). Each is served through the ingest transport to the code the lifecycle command
runs on a live host (lifecycle.erase_detect.detect, the burn-in's CommandResult), so the
registry records are the same."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from diag.transport.base import CommandResult
from lifecycle.erase_detect import MARK, detect
from schemas.lifecycle_retire import EraseDevice

Detection = tuple[list[EraseDevice], str]


def present(root: Path, part: str) -> bool:
    return (root / part / "hosts").is_dir()


def judge_erase(root: Path, limit: str) -> dict[str, Detection]:
    """Host name -> (disks, problem), as `lifecycle retire` detects them."""
    from diag.ingest import ingest_targets

    _kind, targets, transport = ingest_targets(root / "erase", "erase_detect", limit)

    async def all_hosts() -> dict[str, Detection]:
        got: dict[str, Detection] = {}
        for t in targets:
            rec = transport.collected[t.name].record
            found = MARK.search(rec.command) if rec is not None else None
            if rec is not None and found is None:
                got[t.name] = ([], "the recorded command is not diagctl's detection script")
                continue
            got[t.name] = await detect(transport, t, 60.0, found.group(0) if found else "")
        return got

    return asyncio.run(all_hosts())


def judge_burn_in(root: Path, limit: str) -> tuple[str, dict[str, CommandResult]]:
    """(the burn-in command, host name -> its result) as `lifecycle receive --burn-in` gets
    them; the command is read back from the recorded line (`sh -c CMD`)."""
    from diag.ingest import ingest_targets
    from lifecycle.receive import run_burn_in

    _kind, targets, transport = ingest_targets(root / "burn-in", "burn_in", limit)
    cmds = {c.record.command for c in transport.collected.values() if c.record is not None}
    cmd = _command_of(next(iter(sorted(cmds)), ""))
    results = run_burn_in(targets, transport, cmd, 3600.0, 64)
    took = {n: c.record.duration_ms for n, c in transport.collected.items() if c.record}
    return cmd, {  # the collector's own duration: the burn-in's time on the host + connect
        t.name: replace(r, duration_ms=took.get(t.name, 0))
        for t, r in zip(targets, results, strict=True)
    }


def _command_of(line: str) -> str:
    """CMD from diagctl's remote line `... exec [sudo -n] timeout -s KILL N sh -c CMD; else ...`:
    the word after the first `sh -c` (shell punctuation split off, quotes removed)."""
    import shlex

    try:
        lex = shlex.shlex(line, posix=True, punctuation_chars=True)
        lex.whitespace_split = True
        words = list(lex)
    except ValueError:
        return line
    for i in range(len(words) - 2):
        if words[i : i + 2] == ["sh", "-c"]:
            return words[i + 2]
    return line
