# ruff: noqa: E501  (tables of real log lines and whole messages)
"""Boundary tables for the correlation thresholds and the time windows, the line rules, the
intents writer and the CLI's bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from diag.reset.correlate import Thresholds, rate_finding, repeat_findings
from diag.reset.intents import KEEP, intent_file, record_intent
from diag.reset.parse import parse_intents
from diag.reset.signals import kernel_signal, sel_signal, shutdown_signal
from schemas.reset import RebootIntent, TimelineEntry

NOW = 1778155200  # 2026-05-07T12:00:00Z
WEEK_AGO = "2026-04-30T12:00:00Z"


def entry(ended: str, reason: str = "kernel_panic", xids: tuple[int, ...] = (),
          clean: bool | None = False) -> TimelineEntry:  # fmt: skip
    return TimelineEntry(boot_id="b", ended_at=ended, reason=reason, confidence=0.5,  # type: ignore[arg-type]
                         xids=list(xids), clean=clean)  # fmt: skip


@pytest.mark.parametrize(
    "resets_with_xid,repeat_after,flagged",
    [(0, 2, False), (1, 2, False), (2, 2, True), (3, 2, True), (2, 3, False), (3, 3, True),
     (1, 1, True)],
)  # fmt: skip
def test_repeat_gpu_fault_threshold(resets_with_xid: int, repeat_after: int, flagged: bool) -> None:
    entries = [entry(f"2026-05-0{i + 1}T00:00:00Z", "gpu_fault_then_reset", (79,))
               for i in range(resets_with_xid)] + [entry("2026-05-06T00:00:00Z", xids=(48,))]  # fmt: skip
    found = repeat_findings(entries, Thresholds(repeat_after=repeat_after), {79: "fallen off"})
    statuses = [(f.status.value, f.action.value, f.entity) for f in found]
    if flagged:
        assert ("fail", "isolate", "xid 79") in statuses
        assert next(f for f in found if f.entity == "xid 79").message == (
            f"Xid 79 (fallen off) before {resets_with_xid} resets: isolate the host and open an RMA"
        )
    else:
        assert statuses == [("pass", "none", "")]


@pytest.mark.parametrize(
    "ended,clean,reason,unplanned_max,escalate",
    [
        ("2026-05-07T00:00:00Z", False, "unknown", 1, True),  # 2 unplanned (one unclean)
        ("2026-05-07T00:00:00Z", True, "planned_reboot", 1, False),
        ("2026-05-07T00:00:00Z", None, "unknown", 1, False),  # journal could not say
        (WEEK_AGO, False, "power_loss", 1, True),  # exactly 7 days: inside
        ("2026-04-30T11:59:59Z", False, "power_loss", 1, False),  # one second older: outside
        ("2026-05-07T00:00:00Z", True, "gpu_fault_then_reset", 1, True),
        ("2026-05-07T00:00:00Z", False, "watchdog_reset", 2, False),
        ("2026-05-07T00:00:00Z", False, "watchdog_reset", 0, True),
    ],
)
def test_unplanned_rate_threshold(
    ended: str, clean: bool | None, reason: str, unplanned_max: int, escalate: bool
) -> None:
    entries = [entry("2026-05-06T00:00:00Z"), entry(ended, reason, clean=clean)]
    f = rate_finding(entries, Thresholds(unplanned_max=unplanned_max), NOW)
    assert (f.status.value == "fail") is escalate
    if escalate:
        assert f.message == (
            f"escalate: {f.observed} unplanned resets in 7 days (more than {unplanned_max})"
        )


@pytest.mark.parametrize(
    "line,want",
    [
        ("NMI watchdog: Enabled. Permanently consumes one hw-PMU counter.", None),
        ("watchdog: Disabling watchdog on nohz_full cores by default", None),
        ("sbsa-gwdt 2a450000.watchdog: Initialized with 10s timeout @ 100000000 Hz, action=0.", None),
        ("iTCO_wdt iTCO_wdt: Found a Intel PCH TCO device (Version=6, TCOBASE=0x0400)", None),
        ("EDAC MC0: 1 CE memory read error on CPU_SrcID#0_Ha#0_Chan#1_DIMM#0", None),
        ("watchdog: Watchdog detected hard LOCKUP on cpu 12", ("watchdog_reset", 0.5)),
        ("Kernel panic - not syncing: Fatal hardware error!", ("hardware_fault", 0.8)),
        ("Kernel panic - not syncing: Fatal exception", ("kernel_panic", 0.8)),
        ("EDAC MC0: 1 UE memory read error on CPU_SrcID#0_Ha#0_Chan#1_DIMM#0", ("hardware_fault", 0.5)),
    ],
)  # fmt: skip
def test_kernel_lines(line: str, want: tuple[str, float] | None) -> None:
    assert kernel_signal(line) == want


@pytest.mark.parametrize(
    "ident,msg,want",
    [
        ("systemd[1]", "Reached target Reboot.", ("planned_reboot", 0.6)),
        ("systemd[1]", "Reached target System Reboot.", ("planned_reboot", 0.6)),
        ("systemd[1]", "Reached target Power-Off.", ("planned_shutdown", 0.6)),
        ("systemd[1]", "Reached target System Power Off.", ("planned_shutdown", 0.6)),
        ("systemd[1]", "Reached target Shutdown.", ("planned_reboot", 0.3)),
        ("systemd[1]", "Reached target Reboot Manager.", None),
        ("systemd[1]", "Started Daily apt upgrade and clean activities.", None),
    ],
)  # fmt: skip
def test_shutdown_wordings(ident: str, msg: str, want: tuple[str, float] | None) -> None:
    assert shutdown_signal(ident, msg) == want


def test_sel_deasserted_is_not_evidence() -> None:
    assert sel_signal("Power Unit #0x01 | AC lost | Deasserted") is None
    assert sel_signal("Power Unit #0x01 | AC lost | Asserted") == ("power_loss", 0.7)


def _intent(n: int) -> RebootIntent:
    return RebootIntent(at=f"2026-05-07T11:00:{n % 60:02d}Z", action="reboot", boot_id=f"b{n}",
                        requested_by="sre@jump1")  # fmt: skip


def test_intent_writer_keeps_valid_records_and_caps(tmp_path: Path) -> None:
    path = tmp_path / "var/lib/diagctl/reboot-intents.jsonl"
    record_intent(path, _intent(1))
    path.write_bytes(path.read_bytes() + b"not json\n")
    record_intent(path, _intent(2))
    assert path.read_text().splitlines() == [
        _intent(1).model_dump_json(),
        _intent(2).model_dump_json(),
    ]
    many = b"".join(_intent(i).model_dump_json().encode() + b"\n" for i in range(KEEP + 5))
    lines = intent_file(many, _intent(999)).decode().splitlines()
    assert len(lines) == KEEP and lines[-1] == _intent(999).model_dump_json()
    assert lines[0] == _intent(6).model_dump_json()


def test_intent_parser_names_bad_lines() -> None:
    good = _intent(1).model_dump_json()
    intents, problems = parse_intents(good + '\n{"schema_version": 1, "action": "halt"}\n')
    assert intents == [_intent(1)]
    assert problems == ["line 2: at: Field required"]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "diag.cli", "reset-reason", *args],
                          capture_output=True, text=True, timeout=60)  # fmt: skip


@pytest.mark.parametrize(
    "args,message",
    [
        (("--local", "--since", "7"), "diagctl: --since '7': expected a count and a unit, e.g. 7d, 12h, 90m, 2w"),
        (("--local", "--since", "0d"), "diagctl: --since '0d': expected a count and a unit, e.g. 7d, 12h, 90m, 2w"),
        (("--local", "--since", "400d"), "diagctl: --since '400d': at most 366 days"),
        (("--since", "7d"), "diagctl: say which hosts: -H HOST[,HOST...], -i INVENTORY, --local or --replay DIR"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_exit_2(args: tuple[str, ...], message: str) -> None:
    r = _cli(*args)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines()[-1].replace("Error: ", "diagctl: ") == message


def test_replay_of_an_out_tree_is_the_same_judgement(tmp_path: Path) -> None:
    """--local --out then --replay: same data (a replay re-judges the recorded captures)."""
    live = _cli("--local", "--json", "--out", str(tmp_path / "run"))
    again = _cli("--replay", str(tmp_path / "run"), "--json")
    assert live.returncode == again.returncode, live.stderr + again.stderr
    one, two = json.loads(live.stdout), json.loads(again.stdout)
    assert one["data"] == two["data"] and one["findings"] == two["findings"]
    assert two["replayed"] is not None and two["collected_at"] == one["collected_at"]
