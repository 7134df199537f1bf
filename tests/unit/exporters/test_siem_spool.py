"""The spool keeps order and its bound: dropping the oldest batches is counted."""

from __future__ import annotations

from pathlib import Path

import pytest

from exporters.siem.spool import Spool, default_dir

BATCH = ["a" * 8] * 3  # 3 events, 33 bytes on disk (3 x '"aaaaaaaa"\n')


@pytest.mark.parametrize(
    "max_bytes,puts,dropped,kept",
    [
        (33, 1, [0], 1),  # exactly one batch fits
        (32, 1, [3], 0),  # a batch bigger than the spool is itself dropped
        (66, 3, [0, 0, 3], 2),  # the third batch pushes the oldest out
        (65, 2, [0, 3], 1),
        (99, 3, [0, 0, 0], 3),
    ],
)
def test_bound(tmp_path: Path, max_bytes: int, puts: int, dropped: list[int], kept: int) -> None:
    spool = Spool(tmp_path / "s", max_bytes)
    assert [spool.put([f"{i}" * 8] * 3) for i in range(puts)] == dropped
    names = [p.name for p in spool.batches()]
    assert len(names) == kept
    assert [spool.read(p)[0][0] for p in spool.batches()] == [
        str(i) for i in range(puts - kept, puts)
    ]


def test_batches_are_read_oldest_first_and_foreign_files_ignored(tmp_path: Path) -> None:
    spool = Spool(tmp_path, 1 << 20)
    spool.put(['x "q"\nü'])
    spool.put(["second"])
    (tmp_path / "README").write_text("not a batch")
    assert [p.name for p in spool.batches()] == [
        "00000000000000000001-1.jsonl", "00000000000000000002-1.jsonl",
    ]  # fmt: skip
    assert spool.read(spool.batches()[0]) == ['x "q"\nü']


def test_default_dir_follows_xdg_state_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", "/state")
    assert default_dir("hec") == Path("/state/diagctl/spool/hec")


def test_unwritable_spool_drops_the_batch_counted_not_a_crash(tmp_path: Path) -> None:
    from exporters.siem.deliver import Policy, deliver
    from exporters.siem.senders import Retryable

    class Down:
        def send(self, batch: list[str]) -> None:
            raise Retryable("ConnectionRefusedError: [Errno 111] Connection refused")

    (tmp_path / "file").write_text("")
    spool = Spool(tmp_path / "file" / "spool", 1 << 20)
    report = deliver(["a", "b", "c"], Down(), spool, Policy(batch=2, retries=0), lambda s: None)
    assert (report.sent, report.spooled, report.dropped, report.lost) == (0, 0, 3, 3)
    assert report.problems == [
        "receiver down after 1 attempts: ConnectionRefusedError: [Errno 111] Connection refused",
        f"spool {tmp_path}/file/spool not writable (Not a directory): 2 events dropped",
        f"spool {tmp_path}/file/spool not writable (Not a directory): 1 events dropped",
    ]
