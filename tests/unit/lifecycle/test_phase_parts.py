"""The burn-in command read back from the line a playbook sent (`payload show burn-in`), and
the erase-detection nonce read back from the recorded erase-detect line."""

from __future__ import annotations

import pytest

from diag.playbook_payload import PayloadSpec, command_line, payload_bytes
from lifecycle.erase_detect import MARK
from lifecycle.phase_parts import _command_of


@pytest.mark.parametrize(
    "cmd",
    ["dcgmi diag -r 3", "echo 'it''s'; exit 3", "a; else b", "x -c y", "printf '%s\\n' \"$HOME\""],
)
def test_the_burn_in_command_comes_back_from_its_line(cmd: str) -> None:
    for become in (False, True):
        spec = PayloadSpec("burn-in", timeout_s=3600, become=become, burn_in=cmd)
        assert _command_of(command_line(spec)) == cmd
        assert payload_bytes(spec) == b""


def test_an_unparsable_line_is_kept_as_it_is() -> None:
    assert _command_of("sh -c 'unterminated") == "sh -c 'unterminated"


def test_each_erase_detect_line_carries_one_fresh_nonce() -> None:
    lines = [command_line(PayloadSpec("erase-detect", timeout_s=60)) for _ in range(2)]
    marks = [set(MARK.findall(line)) for line in lines]
    assert [len(m) for m in marks] == [1, 1] and marks[0] != marks[1]
    assert lines[0].startswith("if command -v timeout >/dev/null 2>&1; then exec timeout -s KILL")
