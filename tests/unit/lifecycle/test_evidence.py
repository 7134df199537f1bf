"""Gate evidence from history: only the current phase's steps, newest wins; and the CLI stays
light (no SQLAlchemy or Alembic at `diagctl --help`)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lifecycle.evidence import evidence_of
from lifecycle.phases import Evidence
from schemas.lifecycle import HistoryEntry


def act(i: int, action: str, outcome: str) -> HistoryEntry:
    return HistoryEntry.model_validate(
        {"id": i, "host_id": "h", "entry": "action", "at": "", "who": "", "action": action,
         "outcome": outcome}
    )  # fmt: skip


def move(i: int, to: str) -> HistoryEntry:
    return HistoryEntry(id=i, host_id="h", entry="transition", at="", who="", to_phase=to)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "entries,evidence",
    [
        ([], Evidence()),
        ([move(1, "receive"), act(2, "identity", "pass"), act(3, "l1", "fail")],
         Evidence(identity_captured=True, l1_pass=False)),
        ([act(1, "l1", "fail"), act(2, "l1", "warn")], Evidence(l1_pass=True)),  # newest wins
        ([act(1, "l1", "pass"), act(2, "l1", "unknown")], Evidence(l1_pass=None)),
        ([act(1, "identity", "unknown")], Evidence(identity_captured=False)),
        ([act(1, "l1", "pass"), move(2, "provision")], Evidence()),  # the old phase's steps
        ([act(1, "burn_in", "fail")], Evidence(burn_in_required=True, burn_in_pass=False)),
        ([act(1, "probe", "pass")], Evidence(probe_required=True, probe_healthy=True)),
        ([act(1, "baseline", "pass"), act(2, "incident_close", "pass"), act(3, "sanitise", "fail"),
          act(4, "manifest", "pass"), act(5, "reboot", "fail")],
         Evidence(baseline_conformant=True, incident_resolved=True, sanitised=False,
                  manifest_match=True)),
    ],
)  # fmt: skip
def test_evidence_of(entries: list[HistoryEntry], evidence: Evidence) -> None:
    assert evidence_of(entries) == evidence


def test_the_cli_does_not_import_the_database_stack() -> None:
    code = (
        "import sys; import diag.cli.main; "
        "print(sorted(m for m in ('sqlalchemy', 'alembic', 'psycopg') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == "[]\n"
