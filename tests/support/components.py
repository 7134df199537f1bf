"""One gate for every real component a test needs (sshd, Slurm, llama.cpp, promtool, root...).

On a developer's machine a missing component skips the test, with the reason. Under CI
(`CI=true`, as GitHub Actions, GitLab CI and most runners set it) it fails the test instead:
a CI run that silently skipped its real servers would be green without having tested them.
"""

from __future__ import annotations

import os
import shutil

import pytest

CI_VALUES = ("true", "1")  # what CI runners put in $CI; compared case-insensitively


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in CI_VALUES


def require(name: str, available: bool, why: str) -> None:
    """Skip (locally) or fail (CI) unless `available`; `name` is the component, `why` the fix."""
    if available:
        return
    if in_ci():
        pytest.fail(f"CI=true: missing {name}: {why}", pytrace=False)
    pytest.skip(f"missing {name}: {why}")


def require_binaries(*names: str, why: str) -> None:
    """`require` for executables on PATH; names every one that is missing."""
    missing = [n for n in names if shutil.which(n) is None and not os.path.exists(n)]
    require(", ".join(missing), not missing, why)


def require_root(why: str) -> None:
    require("root", os.geteuid() == 0, why)
