"""Clock synchronisation, from the kernel's adjtimex(2) state, corroborated by timedatectl.

adjtimex is what chronyd, ntpd and systemd-timesyncd all steer, so it answers whatever daemon
the host runs. TIME_ERROR (5) or the STA_UNSYNC status bit means "not synchronised".
"""

from __future__ import annotations

from collections.abc import Mapping

from diag.checks.base import Check, Context, Rules, Source, capture_problem, clean, finding
from schemas.capture import Capture
from schemas.enums import Status
from schemas.finding import Finding

ID = "host.clock_sync"
TIME_ERROR = 5
STA_UNSYNC = 0x0040


def parse_adjtimex(stdout: str) -> dict[str, int]:
    """`state=0 status=0x2001 maxerror_us=12 esterror_us=1 offset=0` → ints."""
    out = {}
    for pair in stdout.split():
        k, sep, v = pair.partition("=")
        if sep:
            out[k] = int(v, 16) if v.startswith("0x") else int(v)
    if "state" not in out or "status" not in out:
        raise ValueError("adjtimex capture lacks state/status")
    return out


def parse_timedatectl(stdout: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in stdout.splitlines() if "=" in line)


def evaluate(caps: Mapping[str, Capture], rules: Rules, ctx: Context) -> list[Finding]:
    problem = capture_problem(ID, caps, "adjtimex", rules)
    if problem:
        return [problem]
    tx = parse_adjtimex(caps["adjtimex"].stdout)
    synced = tx["state"] != TIME_ERROR and not tx["status"] & STA_UNSYNC
    maxerr_ms = tx.get("maxerror_us", 0) / 1000.0
    tdc = caps.get("timedatectl")
    daemon = ""
    if tdc is not None and tdc.error is None and tdc.rc == 0:
        props = parse_timedatectl(tdc.stdout)
        daemon = f"NTP={props.get('NTP', '?')} NTPSynchronized={props.get('NTPSynchronized', '?')}"
    if not synced:
        status = Status.FAIL if rules["unsynced_is_fail"] else Status.WARN
        msg = "kernel clock is not synchronised (STA_UNSYNC/TIME_ERROR)"
    elif maxerr_ms > rules["warn_max_error_ms"]:
        limit = rules["warn_max_error_ms"]
        status = Status.WARN
        msg = f"clock synchronised but max error {maxerr_ms:.1f} ms > warn {limit} ms"
    else:
        status, msg = Status.PASS, f"clock synchronised, max error {maxerr_ms:.1f} ms"
    return [
        finding(
            ID,
            status,
            rules,
            entity="clock",
            observed={
                "synchronised": synced,
                "state": tx["state"],
                "status": hex(tx["status"]),
                "max_error_ms": maxerr_ms,
            },
            message=msg + (f" [{daemon}]" if daemon else ""),
            evidence=[clean(caps["adjtimex"].stdout.strip(), 200)],
        )
    ]


CHECK = Check(
    ID,
    "Clock synchronisation",
    "adjtimex(2), timedatectl show",
    (
        Source("adjtimex", "adjtimex", cap=512),
        Source("timedatectl", "cmd", argv=("timedatectl", "show"), cap=8192, timeout_s=3.0),
    ),
    evaluate,
)
