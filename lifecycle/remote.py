"""What maintenance does on a host besides its command, all through the one transport:
read the boot id, leave a reboot intent that `diagctl reset-reason` reads, and wait for the
host to come back from a reboot (its boot id changes).

Linux gives every boot a random id in /proc/sys/kernel/random/boot_id; a host that answers
with the same id has not rebooted (yet), whatever its uptime says after a clock step.
"""

from __future__ import annotations

import asyncio
import time

from diag.reset.intents import intent_file
from diag.reset.sources import INTENTS_PATH
from diag.transport.base import CommandResult, Target, Transport
from schemas.reset import RebootIntent

BOOT_ID = "/proc/sys/kernel/random/boot_id"
# The path is a constant of ours (never operator text): the shell sees no outside input. The
# new file is written next to the old one and renamed, so reset-reason reads old or new.
_WRITE = (
    f'umask 022; d=$(dirname {INTENTS_PATH}); mkdir -p "$d" && '
    f"cat > {INTENTS_PATH}.tmp.$$ && mv {INTENTS_PATH}.tmp.$$ {INTENTS_PATH}"
)


def _why(res: CommandResult) -> str:
    if res.exit_code is None:
        return f"{res.error}: {res.message}"
    tail = res.stderr.decode("utf-8", "replace").strip()[-200:]
    return f"exited {res.exit_code}" + (f": {tail}" if tail else "")


async def boot_id(transport: Transport, t: Target, timeout: float) -> tuple[str, str]:
    """(boot id, "") or ("", why it could not be read)."""
    res = await transport.run(t, ("cat", BOOT_ID), b"", timeout)
    text = res.stdout.decode("ascii", "replace").strip()
    if res.exit_code != 0 or not text:
        return "", _why(res) if res.exit_code != 0 else "empty boot_id"
    return text[:64], ""


async def leave_intent(
    transport: Transport, t: Target, intent: RebootIntent, timeout: float
) -> str:
    """Append `intent` to the host's intents file (keeping its last records); "" or why not."""
    old = await transport.run(
        t, ("sh", "-c", f"cat {INTENTS_PATH} 2>/dev/null; true"), b"", timeout
    )
    if old.exit_code != 0:
        return f"reading {INTENTS_PATH}: {_why(old)}"
    res = await transport.run(t, ("sh", "-c", _WRITE), intent_file(old.stdout, intent), timeout)
    return "" if res.exit_code == 0 else f"writing {INTENTS_PATH}: {_why(res)}"


async def wait_return(
    transport: Transport, t: Target, before: str, deadline_s: float, poll_s: float = 1.0
) -> tuple[str, str]:
    """Poll until the host answers with a boot id other than `before`, at most `deadline_s`
    seconds: (new boot id, "") or ("", what the last attempt said)."""
    end = time.monotonic() + deadline_s
    last = "no answer yet"
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return "", f"not back within {deadline_s:g} s (last: {last})"
        now, why = await boot_id(transport, t, max(1.0, min(left, 10.0)))
        if now and now != before:
            return now, ""
        last = why or f"boot id still {before}"
        await asyncio.sleep(min(poll_s, max(0.0, end - time.monotonic())))
