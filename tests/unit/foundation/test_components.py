"""tests/support/components.py: a missing real component skips locally and fails under CI."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.components import require, require_binaries

OUTCOME = {"skipped": pytest.skip.Exception, "failed": pytest.fail.Exception}


@pytest.mark.parametrize(
    "ci,available,outcome,message",
    [
        (None, True, None, ""),
        ("true", True, None, ""),
        (None, False, "skipped", "missing sshd: apt-get install openssh-server"),
        ("", False, "skipped", "missing sshd: apt-get install openssh-server"),
        ("false", False, "skipped", "missing sshd: apt-get install openssh-server"),
        ("0", False, "skipped", "missing sshd: apt-get install openssh-server"),
        ("true", False, "failed", "CI=true: missing sshd: apt-get install openssh-server"),
        ("True", False, "failed", "CI=true: missing sshd: apt-get install openssh-server"),
        (" true\n", False, "failed", "CI=true: missing sshd: apt-get install openssh-server"),
        ("1", False, "failed", "CI=true: missing sshd: apt-get install openssh-server"),
    ],
)
def test_require_skips_locally_and_fails_in_ci(
    monkeypatch: pytest.MonkeyPatch,
    ci: str | None,
    available: bool,
    outcome: str | None,
    message: str,
) -> None:
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    if outcome is None:
        assert require("sshd", available, "apt-get install openssh-server") is None
        return
    with pytest.raises(OUTCOME[outcome]) as exc:
        require("sshd", available, "apt-get install openssh-server")
    assert type(exc.value) is OUTCOME[outcome]
    assert exc.value.msg == message


def test_a_ci_failure_has_no_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception) as exc:
        require("promtool", False, "apt-get install prometheus")
    assert exc.value.pytrace is False


def test_require_binaries_names_every_missing_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception) as exc:
        require_binaries("sh", "dgx-no-such-1", "/no/such/dgx-2", why="install them")
    assert exc.value.msg == "CI=true: missing dgx-no-such-1, /no/such/dgx-2: install them"
    assert require_binaries("sh", "/bin/sh", why="-") is None


TESTS = Path(__file__).resolve().parents[2]
RAW_SKIP = re.compile(r"pytest\.(skip\(|importorskip\(|mark\.skip\b|mark\.skipif\b)")
# Not a missing component: this case needs a host WITHOUT an NVIDIA GPU, and CI has none.
# The six-platform airgap build is opt-in (DIAGCTL_AIRGAP_ALL=1): a slow download, not a component.
NOT_COMPONENTS = {"unit/gpu/test_gpu_cli.py": 1, "integration/airgap/test_all_platforms.py": 1}


def test_every_skip_goes_through_the_helper() -> None:
    """A bare pytest.skip would let CI go green without the real server it was meant to test."""
    found: dict[str, int] = {}
    for path in sorted(TESTS.rglob("*.py")):
        rel = path.relative_to(TESTS).as_posix()
        if rel in ("support/components.py", "unit/foundation/test_components.py"):
            continue
        hits = len(RAW_SKIP.findall(path.read_text()))
        if hits:
            found[rel] = hits
    assert found == NOT_COMPONENTS
