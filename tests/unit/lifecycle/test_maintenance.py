"""The pure parts of `lifecycle maintain`: waves, the window, the pre/post diff."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from diag.errors import UsageError
from lifecycle import maintenance as mt
from schemas.envelope import Envelope, Finding, HostRef, Status
from schemas.lifecycle_maintain import FindingChange

UTC = timezone.utc


@pytest.mark.parametrize(
    "n,limit,expected",
    [
        (0, 1, []),
        (1, 1, [[0]]),
        (3, 1, [[0], [1], [2]]),
        (3, 2, [[0, 1], [2]]),
        (4, 2, [[0, 1], [2, 3]]),
        (2, 5, [[0, 1]]),
    ],
)
def test_waves(n: int, limit: int, expected: list[list[int]]) -> None:
    assert mt.waves(list(range(n)), limit) == expected


def test_waves_refuse_zero_in_flight() -> None:
    with pytest.raises(UsageError, match=r"^--max-in-flight 0: must be at least 1$"):
        mt.waves([1], 0)


W = (datetime(2025, 6, 1, 22, tzinfo=UTC), datetime(2025, 6, 2, 4, tzinfo=UTC))


@pytest.mark.parametrize(
    "now,problem",
    [
        (datetime(2025, 6, 1, 21, 59, 59, tzinfo=UTC), "window opens at 2025-06-01T22:00:00+00:00"),
        (datetime(2025, 6, 1, 22, tzinfo=UTC), ""),
        (datetime(2025, 6, 2, 3, 59, 59, tzinfo=UTC), ""),
        (datetime(2025, 6, 2, 4, tzinfo=UTC), "window closed at 2025-06-02T04:00:00+00:00"),
    ],
)
def test_window_boundaries(now: datetime, problem: str) -> None:
    assert mt.window_problem(W, now) == problem
    assert mt.window_problem(None, now) == ""


def test_parse_window() -> None:
    assert mt.parse_window("2025-06-01T22:00Z/2025-06-02T06:00+02:00") == W
    assert mt.parse_window("") is None


@pytest.mark.parametrize(
    "text,message",
    [
        ("2025-06-01T22:00Z", "--window '2025-06-01T22:00Z': expected START/END"),
        ("x/2025-06-02T04:00Z", "--window: start 'x' is not an ISO 8601 time"),
        ("2025-06-01T22:00/2025-06-02T04:00Z",
         "--window: start '2025-06-01T22:00' has no UTC offset (add Z or +HH:MM)"),
        ("2025-06-02T04:00Z/2025-06-02T04:00Z",
         "--window '2025-06-02T04:00Z/2025-06-02T04:00Z': end is not after start"),
    ],
)  # fmt: skip
def test_bad_windows(text: str, message: str) -> None:
    with pytest.raises(UsageError) as exc:
        mt.parse_window(text)
    assert str(exc.value) == message


def _env(*findings: tuple[str, str, Status]) -> Envelope:
    return Envelope(
        kind="health.l1", tool_version="0", host=HostRef(name="h"), ok=True, status=Status.PASS,
        findings=[Finding(check_id=c, entity=e, status=s, message="") for c, e, s in findings],
        collected_at="2025-01-01T00:00:00Z", duration_ms=0,
    )  # fmt: skip


def test_diff_names_every_changed_finding_only() -> None:
    pre = _env(("gpu.driver", "", Status.FAIL), ("host.disk", "/", Status.PASS),
               ("gpu.xid", "0", Status.WARN))  # fmt: skip
    post = _env(("gpu.driver", "", Status.PASS), ("host.disk", "/", Status.PASS),
                ("gpu.ecc", "0", Status.FAIL))  # fmt: skip
    assert mt.diff(pre, post) == [
        FindingChange(check_id="gpu.driver", entity="", before="fail", after="pass"),
        FindingChange(check_id="gpu.ecc", entity="0", before="absent", after="fail"),
        FindingChange(check_id="gpu.xid", entity="0", before="warn", after="absent"),
    ]
    assert mt.diff(pre, pre) == []
