"""The time stamp every document carries: now, in UTC, to the millisecond (truncated), with a
`Z` (`2026-11-30T09:44:15.123Z`).

One implementation for the model path (re-exported by diag.envelope) and the `--local` fast
paths (diag.fastpath.doc), written without `datetime`, which the fast paths do not otherwise
load.
"""

from __future__ import annotations

import time


def utc_now() -> str:
    seconds, ns = divmod(time.time_ns(), 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{ns // 1_000_000:03d}Z"
