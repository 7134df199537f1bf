"""The reset collector as it travels (program text and spec), and what each capture's state is.

The collector itself is diag/payload/reset_collector.py (stdlib only, runs on the host).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

from diag.reset.signals import KERNEL_KEEP

if TYPE_CHECKING:  # `reset-reason --local` builds its payload before loading pydantic
    from schemas.payload import Capture
    from schemas.reset import SourceState

# Where diagctl records that it is about to reboot or power off a host (schemas/reset.py
# RebootIntent, one JSON object per line); diag/reset/intents.py writes it.
INTENTS_PATH = "/var/lib/diagctl/reboot-intents.jsonl"
TAIL_LINES = 300  # a server's shutdown sequence logs a few hundred lines after its first marker
MAX_BOOTS = 10


@cache
def collector_source() -> str:
    return resources.files("diag.payload").joinpath("reset_collector.py").read_text()


def build_payload(since_s: int, deadline_s: float, intents_path: str = INTENTS_PATH) -> bytes:
    """The program sent to `python3 -I -`: the collector and one `main(<spec>)` line; the spec
    is JSON decoded on the host, so no value in it is ever parsed as code."""
    spec = {
        "deadline_s": deadline_s,
        "since_s": since_s,
        "max_boots": MAX_BOOTS,
        "tail_lines": TAIL_LINES,
        "kernel_re": KERNEL_KEEP,
        "intents_path": intents_path,
    }
    call = f"main(json.loads({json.dumps(json.dumps(spec))}))\n"
    return (collector_source() + "\n" + call).encode()


# What a failing command says when the real trouble is missing hardware or privilege.
_ABSENT = ("Could not open device", "No such file or directory", "cannot open /var/log/wtmp")
_DENIED = ("insufficient permissions", "not seeing messages from other users", "Permission denied")


def capture_state(name: str, cap: Capture | None) -> SourceState:
    """ok / missing / error, with the reason a person can act on."""
    from schemas.reset import SourceState

    if cap is None:
        return SourceState(source=name, state="missing", reason="not collected")
    detail = (cap.detail or cap.stderr).strip().splitlines()
    why = detail[0][:200] if detail else ""
    if cap.error == "missing":
        return SourceState(source=name, state="missing", reason=why or "absent on this host")
    if cap.error == "permission":
        return SourceState(source=name, state="error", reason=f"permission denied: {why}")
    if cap.error == "timeout":
        return SourceState(source=name, state="error", reason=f"timed out: {why}")
    if cap.error is not None:
        return SourceState(source=name, state="error", reason=f"{cap.error}: {why}")
    err = cap.stderr.strip()
    if any(s in err for s in _DENIED):
        first = err.splitlines()[0][:200]
        return SourceState(source=name, state="error", reason=f"permission denied: {first}")
    if cap.rc not in (0, None):
        first = err.splitlines()[0][:200] if err else "no message"
        if any(s in err for s in _ABSENT):
            return SourceState(source=name, state="missing", reason=first)
        return SourceState(source=name, state="error", reason=f"exited {cap.rc}: {first}")
    return SourceState(source=name, state="ok")
