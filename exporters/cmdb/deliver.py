"""CMDB delivery that loses nothing it can keep: drain the spool first, oldest first, then push
the new records; a record the receiver could not take now (down, timeout, 5xx, 429, after the
retries of push.py) waits in the spool (exporters/spool.py) behind the ones already there.

    pushed    the CMDB took it (drained ones too: detail starts "from the spool")
    spooled   the receiver is down; this and every later record of the run wait in the spool
    failed    the receiver refused it (4xx, IRE errors): pushing it again cannot help

At-least-once: an entry leaves the spool only after the receiver took it, and the upserts are
idempotent (identification by serial, then name), so a re-push never duplicates an asset. The
spool holds at most its byte budget; beyond, the oldest records are dropped and counted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from pydantic import ValidationError

from exporters.cmdb.push import audit
from exporters.cmdb.target import PushFailed, PushTarget, clean
from exporters.spool import Spool, SpoolFull
from schemas.cmdb import AssetRecord, PushAudit

Push = Callable[[PushTarget, AssetRecord], str]


@dataclass
class Delivery:
    audits: list[PushAudit] = field(default_factory=list)
    drained: int = 0
    spooled: int = 0
    dropped: int = 0  # oldest records removed to keep the bound
    problems: list[str] = field(default_factory=list)

    def count(self, result: str) -> int:
        return sum(1 for a in self.audits if a.result == result)


def drain(fmt: str, target: PushTarget, spool: Spool, push: Push, out: Delivery) -> bool:
    """Push spooled records oldest first; False when the receiver is still down."""
    for path in spool.entries():
        try:
            rec = AssetRecord.model_validate_json(path.read_bytes())
        except (OSError, ValidationError):
            spool.remove(path)  # damaged: it could never be pushed
            spool.count_dropped(1)
            out.dropped += 1
            continue
        try:
            detail = push(target, rec)
        except PushFailed as exc:
            if exc.retryable:
                out.problems.append(f"receiver down: {exc}")
                return False
            out.audits.append(audit(fmt, target, rec, "failed", f"from the spool: {exc}"))
        else:
            out.drained += 1
            out.audits.append(audit(fmt, target, rec, "pushed", f"from the spool: {detail}"))
        spool.remove(path)
    return True


def keep(
    fmt: str, target: PushTarget, rec: AssetRecord, spool: Spool, out: Delivery, why: str
) -> None:
    """Spool one record and audit it; a spool that cannot hold it fails the record, clearly."""
    try:
        out.dropped += spool.put(rec.model_dump_json().encode())
    except SpoolFull as exc:  # the disk is full: the most useful thing to say first
        out.audits.append(audit(fmt, target, rec, "failed", clean(target, f"{exc}: not kept")))
        out.problems.insert(0, str(exc))
        return
    out.spooled += 1
    out.audits.append(audit(fmt, target, rec, "spooled", f"{why}; kept in {spool.root}"))


def deliver(
    fmt: str, target: PushTarget, records: Iterable[AssetRecord], spool: Spool, push: Push
) -> Delivery:
    """Drain, then push every record in order; once the receiver is down the rest is spooled."""
    out = Delivery()
    up = drain(fmt, target, spool, push, out)
    for rec in records:
        if not up:
            keep(fmt, target, rec, spool, out, "receiver down earlier in this run")
            continue
        try:
            detail = push(target, rec)
        except PushFailed as exc:
            if not exc.retryable:
                out.audits.append(audit(fmt, target, rec, "failed", str(exc)))
                continue
            up = False
            out.problems.append(f"receiver down: {exc}")
            keep(fmt, target, rec, spool, out, str(exc))
            continue
        out.audits.append(audit(fmt, target, rec, "pushed", detail))
    return out
