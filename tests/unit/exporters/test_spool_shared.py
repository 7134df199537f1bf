"""The one spool behind Pushgateway pushes, SIEM batches and CMDB records: order, both bounds,
the persisted drop count, and a spool that cannot be written (a clear SpoolFull, counted)."""

from __future__ import annotations

from pathlib import Path

import pytest

from exporters.spool import Spool, SpoolFull


@pytest.mark.parametrize(
    "max_items,puts,dropped,kept",
    [
        (1, 1, [0], ["0"]),
        (1, 2, [0, 1], ["1"]),
        (2, 2, [0, 0], ["0", "1"]),
        (2, 3, [0, 0, 1], ["1", "2"]),
        (3, 2, [0, 0], ["0", "1"]),
    ],
)
def test_item_bound_drops_oldest(
    tmp_path: Path, max_items: int, puts: int, dropped: list[int], kept: list[str]
) -> None:
    spool = Spool(tmp_path, max_items=max_items, suffix=".push")
    assert [spool.put(str(i).encode()) for i in range(puts)] == dropped
    assert [p.read_text() for p in spool.entries()] == kept
    assert spool.dropped_total() == sum(dropped)


@pytest.mark.parametrize(
    "max_bytes,sizes,dropped,kept",
    [
        (10, [10], [0], [10]),  # exactly fits
        (9, [10], [4], []),  # larger than the whole spool: itself dropped (its 4 events)
        (20, [10, 10, 10], [0, 0, 4], [10, 10]),
        (18, [10, 9], [0, 4], [9]),  # one byte short: the oldest goes
        (19, [9, 10], [0, 0], [9, 10]),  # exactly full
    ],
)
def test_byte_bound_drops_oldest_events(
    tmp_path: Path, max_bytes: int, sizes: list[int], dropped: list[int], kept: list[int]
) -> None:
    spool = Spool(tmp_path, max_bytes=max_bytes)
    assert [spool.put(b"x" * n, events=4) for n in sizes] == dropped
    assert [p.stat().st_size for p in spool.entries()] == kept
    assert spool.dropped_total() == sum(dropped)


def test_names_order_and_foreign_files(tmp_path: Path) -> None:
    spool = Spool(tmp_path, suffix=".json")
    spool.put(b"a", events=1)
    spool.put(b"b", events=3)
    (tmp_path / "00000000000000000009-1.jsonl").write_text("other suffix")
    (tmp_path / "notes.txt").write_text("x")
    assert [p.name for p in spool.entries()] == [
        "00000000000000000001-1.json",
        "00000000000000000002-3.json",
    ]
    assert [Spool.count(p) for p in spool.entries()] == [1, 3]
    spool.remove(spool.entries()[0])
    spool.put(b"c")
    assert [p.read_text() for p in spool.entries()] == ["b", "c"]  # new entries go last


def test_unwritable_spool_is_a_clear_error_counted(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    spool = Spool(tmp_path / "file" / "spool")  # under a regular file: ENOTDIR
    with pytest.raises(SpoolFull) as info:
        spool.put(b"x", events=2)
    assert str(info.value) == f"spool {tmp_path}/file/spool not writable (Not a directory)"
