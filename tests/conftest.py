"""Options shared by the whole suite."""

from __future__ import annotations

import pytest

_EMPTY_CONFIG = pytest.StashKey[str]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--regen",
        action="store_true",
        default=False,
        help="rewrite tests/fixtures/checks/*/*/expected.json from the checks' current output "
        "(review the diff before committing)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """The suite never reads the developer's /etc/diagctl or ~/.config/diagctl config, nor a
    DIAGCTL_<KEY> default from the shell: every diagctl run (subprocesses too) sees an empty
    named config file. Tests of the layers themselves unset DIAGCTL_CONFIG."""
    import os
    import tempfile

    from diag.config import ENV_FILE, ENV_PREFIX, KEYS

    for key in KEYS:
        os.environ.pop(ENV_PREFIX + key.upper(), None)
    fd, path = tempfile.mkstemp(prefix="diagctl-test-config-", suffix=".yaml")
    os.close(fd)
    os.environ[ENV_FILE] = path
    config.stash[_EMPTY_CONFIG] = path


def pytest_unconfigure(config: pytest.Config) -> None:
    import os

    path = config.stash.get(_EMPTY_CONFIG, None)
    if path is not None:
        os.unlink(path)
