"""The reset collector as it travels (program text and spec), and what each capture's state is.

The collector itself is diag/payload/reset_collector.py (stdlib only, runs on the host).
"""

from __future__ import annotations

import json
from functools import cache

from diag.reset.signals import KERNEL_KEEP

# typing.TYPE_CHECKING without importing typing: `reset-reason --local` starts its payload
# from here before anything else loads (and before pydantic).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from schemas.capture import Capture
    from schemas.reset_records import SourceState

# Where diagctl records that it is about to reboot or power off a host (schemas/reset.py
# RebootIntent, one JSON object per line); diag/reset/intents.py writes it.
INTENTS_PATH = "/var/lib/diagctl/reboot-intents.jsonl"
TAIL_LINES = 300  # a server's shutdown sequence logs a few hundred lines after its first marker
MAX_BOOTS = 10


@cache
def collector_source() -> str:
    from diag.payload import local_path

    with open(local_path("reset_collector.py"), encoding="utf-8") as fh:
        return fh.read()


def payload_spec(since_s: int, deadline_s: float, intents_path: str) -> dict[str, object]:
    return {
        "deadline_s": deadline_s,
        "since_s": since_s,
        "max_boots": MAX_BOOTS,
        "tail_lines": TAIL_LINES,
        "kernel_re": KERNEL_KEEP,
        "intents_path": intents_path,
    }


def build_payload(since_s: int, deadline_s: float, intents_path: str = INTENTS_PATH) -> bytes:
    """The program sent to `python3 -I -`: the collector and one `main(<spec>)` line; the spec
    is JSON decoded on the host, so no value in it is ever parsed as code."""
    spec = payload_spec(since_s, deadline_s, intents_path)
    call = f"main(json.loads({json.dumps(json.dumps(spec))}))\n"
    return (collector_source() + "\n" + call).encode()


def build_local(since_s: int, deadline_s: float, intents_path: str = INTENTS_PATH) -> bytes:
    """build_payload's program for diag.payload.local_argv(): the collector's code object."""
    from diag.payload import local_path
    from diag.payload.compiled import program

    spec = payload_spec(since_s, deadline_s, intents_path)
    return program(local_path("reset_collector.py"), spec)


def payload_for(
    command: tuple[str, ...], since_s: int, deadline_s: float, intents_path: str = INTENTS_PATH
) -> bytes:
    """The program for `command`: compiled for local_argv(), source for a host's python3."""
    from diag.payload import local_argv

    build = build_local if command == local_argv() else build_payload
    return build(since_s, deadline_s, intents_path)


# What a failing command says when the real trouble is missing hardware or privilege.
_ABSENT = ("Could not open device", "No such file or directory", "cannot open /var/log/wtmp")
_DENIED = ("insufficient permissions", "not seeing messages from other users", "Permission denied")


def capture_state(name: str, cap: Capture | None) -> SourceState:
    """ok / missing / error, with the reason a person can act on."""
    from schemas.reset_records import SourceState

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
