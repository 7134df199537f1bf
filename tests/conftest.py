"""Options shared by the whole suite."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--regen",
        action="store_true",
        default=False,
        help="rewrite tests/fixtures/checks/*/*/expected.json from the checks' current output "
        "(review the diff before committing)",
    )
