"""Delivery that loses nothing it can keep: drain the spool first, in order, then send the new
batches; whatever the receiver does not take goes to the spool behind what is already there.

At-least-once: a batch is removed from the spool only after the receiver took it, so a crash
between the two re-sends it; the event ids (events.event_id) make the re-send idempotent.

    sent               2xx / written to the socket
    Retryable          down, timeout, 5xx, 429: retried with exponential backoff, then spooled
    Refused            401/403: nothing retried, this and every later batch spooled
    Rejected           other 4xx: that batch is dropped, counted and reported (no retry)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from itertools import islice

from exporters.siem.senders import Refused, Rejected, Retryable, Sender
from exporters.siem.spool import Spool
from exporters.spool import SpoolFull

MAX_PROBLEMS = 5
MAX_BACKOFF_S = 30.0


class Outcome(Enum):
    SENT = "sent"
    REJECTED = "rejected"
    DOWN = "down"


@dataclass(frozen=True)
class Policy:
    batch: int = 500
    retries: int = 3
    backoff_s: float = 0.5  # first wait; doubles per retry, at most MAX_BACKOFF_S


@dataclass
class Report:
    sent: int = 0
    drained: int = 0
    spooled: int = 0
    dropped: int = 0  # oldest spooled events removed to keep the spool bound
    rejected: int = 0
    problems: list[str] = field(default_factory=list)

    def problem(self, text: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(text)

    @property
    def lost(self) -> int:
        return self.dropped + self.rejected


def batched(lines: Iterable[str], size: int) -> Iterator[list[str]]:
    it = iter(lines)
    while chunk := list(islice(it, size)):
        yield chunk


def attempt(
    sender: Sender, batch: list[str], policy: Policy, report: Report,
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome:  # fmt: skip
    """Send one batch with retries; the outcome says what to do with it."""
    for tries in range(policy.retries + 1):
        try:
            sender.send(batch)
            return Outcome.SENT
        except Rejected as exc:
            report.problem(f"rejected {len(batch)} events: {exc}")
            return Outcome.REJECTED
        except Refused as exc:
            report.problem(f"refused: {exc}")
            return Outcome.DOWN
        except Retryable as exc:
            if tries == policy.retries:
                report.problem(f"receiver down after {tries + 1} attempts: {exc}")
                return Outcome.DOWN
            wait = policy.backoff_s * 2**tries
            sleep(min(exc.retry_after_s if exc.retry_after_s is not None else wait,
                      MAX_BACKOFF_S))  # fmt: skip
    return Outcome.DOWN


def drain(sender: Sender, spool: Spool, policy: Policy, report: Report,
          sleep: Callable[[float], None] = time.sleep) -> bool:  # fmt: skip
    """Send spooled batches oldest first; False when the receiver is still down."""
    for path in spool.batches():
        batch = spool.read(path)
        outcome = attempt(sender, batch, policy, report, sleep) if batch else Outcome.SENT
        if outcome is Outcome.DOWN:
            return False
        if outcome is Outcome.SENT:
            report.drained += len(batch)
        else:
            report.rejected += len(batch)
        spool.remove(path)
    return True


def deliver(
    lines: Iterable[str], sender: Sender, spool: Spool, policy: Policy,
    sleep: Callable[[float], None] = time.sleep,
) -> Report:  # fmt: skip
    """Drain the spool, then send `lines` in batches; spool what cannot go now."""
    report = Report()
    up = drain(sender, spool, policy, report, sleep)
    for batch in batched(lines, policy.batch):
        outcome = attempt(sender, batch, policy, report, sleep) if up else Outcome.DOWN
        if outcome is Outcome.SENT:
            report.sent += len(batch)
        elif outcome is Outcome.REJECTED:
            report.rejected += len(batch)
        else:
            up = False
            report.spooled += len(batch)
            try:
                report.dropped += spool.put(batch)
            except SpoolFull as exc:
                report.spooled -= len(batch)
                report.dropped += len(batch)
                report.problem(f"{exc}: {len(batch)} events dropped")
    return report
