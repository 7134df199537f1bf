"""The lifecycle drains' blast-radius breaker: the limit from the inventory's fleet, the nodes
already held or drained in the window, one node one count, and the state a refusal leaves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lifecycle.breaker import Breaker, tripped_message
from schemas.probe import GroupConfig

NOW = 1_700_000_000.0


def _breaker(tmp: Path, fleet: int, fraction: float = 0.1, count: int = 10) -> Breaker:
    cfg = GroupConfig(max_cordon_fraction=fraction, max_cordon_count=count, window_s=3600)
    return Breaker(tmp / "st.json", cfg, frozenset(f"n{i}" for i in range(fleet)))


@pytest.mark.parametrize(
    "fleet,fraction,count,held,wanted,tripped",
    [
        (20, 0.1, 10, 0, 2, False),  # limit 2
        (20, 0.1, 10, 0, 3, True),
        (20, 0.1, 10, 1, 1, False),
        (20, 0.1, 10, 1, 2, True),
        (20, 0.1, 10, 2, 0, False),  # nothing wanted never trips
        (19, 0.1, 10, 0, 2, True),  # floor(1.9) = 1
        (5, 0.1, 10, 0, 1, False),  # a fraction rounding to 0 still allows one node
        (5, 0.1, 10, 0, 2, True),
        (100, 0.5, 3, 0, 3, False),  # the count caps the fraction
        (100, 0.5, 3, 0, 4, True),
        (100, 1.0, 0, 0, 1, True),  # max_cordon_count 0: no drain at all
    ],
)
def test_boundaries(
    tmp_path: Path, fleet: int, fraction: float, count: int, held: int, wanted: int, tripped: bool
) -> None:
    b = _breaker(tmp_path, fleet, fraction, count)
    if held:
        assert not b.admit([f"n{i}" for i in range(held)], NOW - 10).tripped
    g = b.admit([f"n{fleet - 1 - i}" for i in range(wanted)], NOW)
    assert g.tripped is tripped


def test_one_node_is_one_count_and_a_refusal_writes_nothing(tmp_path: Path) -> None:
    b = _breaker(tmp_path, 20)
    assert not b.admit(["n1", "n1"], NOW).tripped  # the same name twice
    again = b.admit(["n1", "n2"], NOW + 1)  # n1 again: still one node
    assert (again.tripped, again.used, again.wanted) == (False, 0, 2)
    before = (tmp_path / "st.json").read_bytes()
    g = b.admit(["n3"], NOW + 2)
    assert (g.group, g.size, g.limit, g.used, g.wanted, g.tripped, g.nodes) == (
        "lifecycle", 20, 2, 2, 1, True, ["n3"]
    )  # fmt: skip
    assert tripped_message(g) == (
        "blast-radius breaker: 1 drain(s) wanted, 2 already held or drained in the window, "
        "limit 2 of 20 nodes; nothing drained"
    )
    assert (tmp_path / "st.json").read_bytes() == before


def test_released_nodes_count_until_the_window_ends(tmp_path: Path) -> None:
    b = _breaker(tmp_path, 20)
    b.admit(["n1", "n2"], NOW)
    b.release(["n1", "n2"])
    st = json.loads((tmp_path / "st.json").read_text())
    assert [n["cordoned_by_us"] for n in st["nodes"].values()] == [False, False]
    assert b.admit(["n3"], NOW + 3599).tripped  # both still in the window
    assert not b.admit(["n3"], NOW + 3600).tripped  # the window has passed
