"""Status ranking, defined once on the enum, and how not_applicable counts for hosts and exits."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from diag.cli.render import human
from diag.envelope import finalize
from diag.exitcodes import Exit, exit_code
from schemas.envelope import Envelope, Finding, Status, worst
from tests.support.envelopes import envelope

ORDER = ["not_applicable", "pass", "unknown", "warn", "error", "fail", "unreachable"]


def test_rank_order_is_the_documented_one() -> None:
    assert sorted((s.value for s in Status), key=lambda v: Status(v).rank) == ORDER
    assert len({s.rank for s in Status}) == len(Status)


@pytest.mark.parametrize(
    ("statuses", "want"),
    [
        ([], "pass"),
        (["not_applicable"], "not_applicable"),
        (["not_applicable", "pass"], "pass"),
        (["pass", "unknown"], "unknown"),
        (["unknown", "warn"], "warn"),
        (["warn", "error"], "error"),
        (["error", "fail"], "fail"),
        (["fail", "pass", "warn"], "fail"),
    ],
)
def test_worst(statuses: list[str], want: str) -> None:
    assert worst(Status(s) for s in statuses).value == want


def test_worst_default() -> None:
    assert worst([], Status.UNKNOWN) is Status.UNKNOWN


def env(*statuses: str) -> Envelope:
    findings = [Finding(check_id=f"c{i}", status=Status(s)) for i, s in enumerate(statuses)]
    return finalize(envelope(findings=findings))


@pytest.mark.parametrize(
    ("statuses", "host", "ok", "code"),
    [
        (["not_applicable"], "pass", True, Exit.OK),
        (["not_applicable", "pass"], "pass", True, Exit.OK),
        (["not_applicable", "unknown"], "unknown", False, Exit.OK),
        (["not_applicable", "warn"], "warn", False, Exit.OK),
        (["not_applicable", "fail"], "fail", False, Exit.FINDINGS),
    ],
)
def test_not_applicable_counts_like_pass(
    statuses: list[str], host: str, ok: bool, code: Exit
) -> None:
    e = env(*statuses)
    assert (e.status.value, e.ok, exit_code([e])) == (host, ok, code)
    assert e.summary.not_applicable == statuses.count("not_applicable")


def test_human_view_hides_not_applicable_unless_verbose() -> None:
    e = env("not_applicable")
    assert human(e).splitlines()[1:] == []
    assert (
        human(e, verbose=True).splitlines()[1] == "  N/A   c0                                    "
    )


def test_no_local_status_ranking_in_the_checks() -> None:
    """Ranking lives on the enum; a list of statuses used as a key is a second definition."""
    root = Path(__file__).resolve().parents[3] / "diag" / "checks"
    offenders = [
        str(p.relative_to(root))
        for p in sorted(root.rglob("*.py"))
        if "key=[Status." in p.read_text() or "STATUS_ORDER" in p.read_text()
    ]
    assert offenders == []


def test_no_status_ranking_list_in_the_libraries() -> None:
    """A list literal of Status members is a ranking; the only one left is the envelope cap's
    drop order, which keeps a check's own warn over a check that could not run (error)."""
    root = Path(__file__).resolve().parents[3]
    lists = re.compile(r"(\w+) = \[\s*Status\.\w+,\s*Status\.")
    found = [
        (str(p.relative_to(root)), m.group(1))
        for pkg in ("diag", "probes", "schemas")
        for p in sorted((root / pkg).rglob("*.py"))
        for m in lists.finditer(p.read_text())
    ]
    assert found == [("diag/envelope.py", "DROP_ORDER")]
