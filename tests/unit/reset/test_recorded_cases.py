"""The reset fixtures RECORDED on a QEMU guest that really reset (tests/fixtures/reset/recorded-*,
made by tests/fixtures/reset/record/record.py): each names the machine it was recorded on, the
docs' table states exactly what each is judged, and the wordings those recordings showed are
rules. Their whole envelopes are pinned by test_reset_cases.py like every other case."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from diag.reset.evidence import ARCHIVE_S, SLACK_S, HostEvidence, dump_parts, pstore_items
from diag.reset.parse import Boot, Record
from diag.reset.signals import shutdown_signal, wtmp_signal
from tests.support.reset_cases import FIXTURES

DOC = Path(__file__).resolve().parents[3] / "docs" / "reset-reason.md"
RECORDED = sorted(p for p in FIXTURES.glob("recorded-*") if (p / "case.json").exists())
README = re.compile(
    r"^Recorded \d{4}-\d\d-\d\d by record\.py: QEMU emulator version [\d.]+ .*, accel (tcg|kvm); "
    r"guest Debian 12, kernel [\w.-]+, systemd [\w.~+-]+\. Provoked by: .+\.\n$"
)


def doc_table() -> dict[str, tuple[str, float]]:
    """`| recorded-<case> | how | reason | confidence |` rows of the Recorded scenarios section."""
    text = DOC.read_text(encoding="utf-8").split("## Recorded scenarios", 1)[1].split("\n## ")[0]
    rows = re.findall(r"^\| `(recorded-[\w-]+)` \|.*\| `(\w+)` \| ([\d.]+) \|$", text, re.M)
    return {name: (reason, float(conf)) for name, reason, conf in rows}


def test_every_recorder_case_is_recorded() -> None:
    source = (FIXTURES / "record" / "record.py").read_text(encoding="utf-8")
    how = source.split("HOW = {", 1)[1].split("\n}", 1)[0]
    cases = set(re.findall(r'^    "(\w+)":', how, re.M))
    assert {p.name.removeprefix("recorded-") for p in RECORDED} == cases


@pytest.mark.parametrize("case", RECORDED, ids=lambda p: p.name)
def test_recorded_case_names_its_machine(case: Path) -> None:
    assert README.match((case / "README.md").read_text(encoding="utf-8"))


def test_docs_table_is_what_the_recordings_are_judged() -> None:
    judged = {}
    for case in RECORDED:
        data = json.loads((case / "expected.json").read_text(encoding="utf-8"))["data"]
        judged[case.name] = (data["reason"], data["confidence"])
    assert doc_table() == judged


# Recorded on Debian 12 (systemd 252): its status lines name the unit before the description.
@pytest.mark.parametrize(
    "msg,want",
    [
        ("Reached target reboot.target - System Reboot.", ("planned_reboot", 0.6)),
        ("Finished systemd-reboot.service - System Reboot.", ("planned_reboot", 0.6)),
        ("Reached target poweroff.target - System Power Off.", ("planned_shutdown", 0.6)),
        ("Finished systemd-poweroff.service - System Power Off.", ("planned_shutdown", 0.6)),
        ("Reached target halt.target - System Halt.", ("planned_shutdown", 0.6)),
        ("Reached target kexec.target - Reboot via kexec.", ("planned_reboot", 0.6)),
        ("Reached target shutdown.target - System Shutdown.", ("planned_reboot", 0.3)),
        ("Stopped target multi-user.target - Multi-User System.", ("planned_reboot", 0.3)),
        ("Reached target multi-user.target - Multi-User System.", None),  # every boot
        ("Starting systemd-reboot.service - System Reboot...", None),  # may still fail
        ("Reached target reboot - System Reboot.", None),  # not a unit name
    ],
)
def test_systemd_252_wordings(msg: str, want: tuple[str, float] | None) -> None:
    assert shutdown_signal("systemd[1]", msg) == want


@pytest.mark.parametrize(
    "record,want",
    [
        ("shutdown system down 6.1.0-57-amd64 2026-11-30T06:19:31+00:00 - 2026-11-30T06:20:01+00:00 (00:00)", ("planned_reboot", 0.3)),  # noqa: E501
        ("runlevel (to lvl 6) 6.1.0-18 2024-05-07T11:00:29+00:00 - 2024-05-07T11:00:30+00:00 (00:00)", ("planned_reboot", 0.3)),  # noqa: E501
        ("runlevel (to lvl 0) 6.1.0-18 2024-05-07T11:00:29+00:00 - 2024-05-07T11:00:30+00:00 (00:00)", ("planned_shutdown", 0.3)),  # noqa: E501
        ("runlevel (to lvl 5) 6.1.0-57-amd64 2026-11-30T06:19:20+00:00 - 2026-11-30T06:19:31+00:00 (00:00)", None),  # noqa: E501
        ("runlevel (to lvl 3) 6.1.0-18 2024-05-07T11:00:29+00:00 - 2024-05-07T11:00:30+00:00 (00:00)", None),  # noqa: E501
        ("root pts/0 10.0.0.1 2024-05-07T09:00:00+00:00 - crash (02:00)", ("context", 0.0)),
    ],
)  # fmt: skip
def test_wtmp_records(record: str, want: tuple[str, float] | None) -> None:
    assert wtmp_signal(record) == want


def _evidence() -> HostEvidence:
    boots = [Boot(-1, "b1", 200, 300), Boot(-2, "b2", 0, 100)]
    return HostEvidence(facts={"btime_s": 400}, boots=boots, journal_missing="", journals={},
                        records={}, intents=[], bootstatus={})  # fmt: skip


def _rec(at_s: int, path: str) -> Record:
    name = path.rsplit("/", 1)[-1]
    return Record(at_s, f"{name}\x00Panic#1 Part1\n\x00{path} (4014 bytes) Panic#1 Part1")


# Boot -1 ran from 200 to 300 (journal), the next boot started at 400; boot -2 before it is
# known, so a dump dated before 200 is boot -2's. Parts keep the crash's time; systemd-pstore's
# dmesg.txt is dated when it ran, early in the next boot (400 .. 400 + ARCHIVE_S).
@pytest.mark.parametrize(
    "path,at_s,parts,supports",
    [
        ("/sys/fs/pstore/dmesg-ramoops-0", 199, False, "stale"),
        ("/sys/fs/pstore/dmesg-ramoops-0", 200, False, "kernel_panic"),
        ("/sys/fs/pstore/dmesg-ramoops-0", 400 + ARCHIVE_S, False, "kernel_panic"),
        ("/sys/fs/pstore/dmesg-ramoops-0", 401 + ARCHIVE_S, False, "stale"),
        ("/var/lib/systemd/pstore/dmesg.txt", 399, False, "stale"),
        ("/var/lib/systemd/pstore/dmesg.txt", 400, False, "kernel_panic"),
        ("/var/lib/systemd/pstore/dmesg.txt", 400 + ARCHIVE_S, False, "kernel_panic"),
        ("/var/lib/systemd/pstore/dmesg.txt", 401 + ARCHIVE_S, False, "stale"),
        ("/var/lib/systemd/pstore/dmesg.txt", 400, True, "context"),
    ],
)
def test_dump_window(path: str, at_s: int, parts: bool, supports: str) -> None:
    ev = _evidence()
    window = ev.dump_window(ev.boots[0])
    assert window == (200, 400 + ARCHIVE_S)
    dirs = frozenset({"/var/lib/systemd/pstore"} if parts else ())
    source = "pstore_archive" if "systemd" in path else "pstore"
    found = pstore_items(_rec(at_s, path), source, window, 400, dirs)
    assert found is not None and found.supports == supports


def test_oldest_boot_keeps_clock_slack() -> None:
    ev = _evidence()
    assert ev.dump_window(ev.boots[1]) == (-SLACK_S, 200 + ARCHIVE_S)


def test_parts_are_the_dated_dmesg_records_directories() -> None:
    recs = [_rec(250, "/var/lib/systemd/pstore/dmesg-ramoops-0"),
            _rec(150, "/var/lib/systemd/pstore/old/dmesg-ramoops-1"),
            _rec(250, "/var/lib/systemd/pstore/other/dmesg.txt")]  # fmt: skip
    assert dump_parts(recs, (200, 1000)) == frozenset({"/var/lib/systemd/pstore"})
