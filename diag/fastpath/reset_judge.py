"""`reset-reason --local`'s envelope without pydantic, written with `json` (diag/fastpath/reset.py
runs it once the payload has started).

The host is judged by the code the model path uses (diag/reset/judge.py). Anything this path
does not reproduce byte for byte is judged by the model path (diag/reset_reason.py) from the
output already collected: a payload document of an unexpected shape, a transport error, an
envelope over the byte cap, a value pydantic would coerce or refuse, a crash.
tests/unit/speed/test_fast_reset.py runs every reset fixture through both paths and compares
the bytes.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, get_args

from diag.fastpath.doc import Unusual, envelope_line, parse_payload, plain, utc_now
from diag.fastpath.reset_argv import LocalReset
from diag.fleet.blocking import drive
from diag.payload import local_argv
from diag.transport.base import CommandResult, Target

if TYPE_CHECKING:
    from diag.fastpath.run import Line

KIND = "reset_reason"
MAX_BYTES = 64 * 1024  # diag.reset_reason.ResetOptions.max_bytes


def _data(fields: dict[str, Any], payload_ms: object) -> dict[str, Any]:
    """ResetData's fields as pydantic would dump them; Unusual where it would coerce or refuse."""
    from schemas.reset_records import Reason

    conf = fields["confidence"]
    if fields["reason"] not in get_args(Reason) or type(conf) is not float or not 0 <= conf <= 1:
        raise Unusual("data out of its model's range")
    data: dict[str, Any] = plain({**fields, "payload_ms": payload_ms})
    return data


def envelope(
    target: Target, res: CommandResult, opts: LocalReset, started: str, t0: float
) -> tuple[bytes, str, int]:
    """The host's envelope line, its status and unknown count, as the model path would give
    them; Unusual where it might not."""
    from diag.reset.correlate import Thresholds
    from diag.reset.judge import facts_hostname, judge_fields

    if res.error:
        raise Unusual("transport")
    doc, caps = parse_payload(res.stdout)
    th = Thresholds(opts.repeat_after, opts.unplanned_max)
    fields, found = judge_fields(caps, opts.since_s, th)
    findings = [plain(f) for f in found]
    host = {
        "name": target.name,
        "address": target.address,
        "host_id": "",
        "host_id_source": "",
        "hostname": facts_hostname(caps),
    }
    data = _data(fields, doc.get("duration_ms", 0))
    line, status = envelope_line(KIND, host, findings, caps, started, t0, data, MAX_BYTES)
    return line, status, sum(f["status"] == "unknown" for f in findings)


def model_line(target: Target, res: CommandResult, opts: LocalReset, t0: float) -> Line:
    """The model path's envelope for output already collected (diag.reset_reason.reset_host)."""
    from diag.exitcodes import statuses_of
    from diag.fastpath.run import Collected
    from diag.reset.correlate import Thresholds
    from diag.reset_reason import KIND, HostRun, ResetOptions, reset_host
    from diag.session import crashed_run

    th = Thresholds(opts.repeat_after, opts.unplanned_max)
    ropts = ResetOptions(opts.since_s, opts.timeout, thresholds=th, command=local_argv())
    started, at = utc_now(), time.monotonic()
    try:
        run = drive(reset_host(Collected(res, t0), target, ropts))
    except Exception as exc:  # as diag.reset_reason.run_reset: a bug is this host's `error`
        crashed = crashed_run(target, exc, started, at, ropts.max_bytes)
        run = HostRun(crashed.envelope, crashed.raw)
        run.envelope.kind = KIND
    return run.envelope.model_dump_json().encode(), statuses_of([run.envelope])


def interrupted_line(target: Target) -> Line:
    from diag.exitcodes import statuses_of
    from diag.reset_reason import interrupted_run

    env = interrupted_run(target).envelope
    return env.model_dump_json().encode(), statuses_of([env])
