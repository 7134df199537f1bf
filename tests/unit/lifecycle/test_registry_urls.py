"""Registry URLs: plain PostgreSQL URLs mean psycopg 3, and a password in a URL never reaches a
message, whether it sits in the URL or the driver quotes it back."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.exc import OperationalError

from diag.cli.main import cli
from lifecycle.registry.engine import resolve, shown, translate


@pytest.mark.parametrize(
    "given,url",
    [
        ("postgresql://diag@db/diag", "postgresql+psycopg://diag@db/diag"),
        ("postgres://diag:pw@db:5433/diag", "postgresql+psycopg://diag:pw@db:5433/diag"),
        ("postgresql+psycopg://diag@db/diag", "postgresql+psycopg://diag@db/diag"),
        ("postgresql+psycopg2://diag@db/diag", "postgresql+psycopg2://diag@db/diag"),
        ("sqlite:///tmp/r.db", "sqlite:///tmp/r.db"),
        ("/srv/reg.db", "sqlite:////srv/reg.db"),
        ("", "sqlite:////state/registry.db"),
    ],
)
def test_resolve(given: str, url: str) -> None:
    assert resolve(given, Path("/state")) == url


@pytest.mark.parametrize(
    "url,said",
    [
        ("postgresql+psycopg://diag:hunter22@db/diag", "postgresql+psycopg://***@db/diag"),
        ("postgresql+psycopg://diag:p@ss:w0rd@db/diag", "postgresql+psycopg://***@db/diag"),
        (
            "postgresql+psycopg://diag@db/diag?password=hunter22",
            "postgresql+psycopg://***@db/diag?password=***",
        ),
        ("sqlite:////srv/reg.db", "sqlite:////srv/reg.db"),
    ],
)
def test_shown_masks_credentials(url: str, said: str) -> None:
    assert shown(url) == said


def test_a_driver_message_quoting_the_password_is_masked() -> None:
    url = "postgresql+psycopg://diag:hunter22@db/diag"
    orig = Exception('connection to "db" failed: FATAL: role "hunter22" does not exist\nDETAIL')
    err = translate(OperationalError("connect", {}, orig), url, 10.0)
    assert str(err) == (
        'registry postgresql+psycopg://***@db/diag: Exception: connection to "db" failed: '
        'FATAL: role "***" does not exist'
    )


@pytest.mark.parametrize("command", [["lifecycle", "status"], ["lifecycle", "migrate"]])
def test_cli_never_prints_the_password(tmp_path: Path, command: list[str]) -> None:
    """A server that is not there (a socket directory with no server in it): one line, exit 2."""
    url = f"postgresql://diag:hunter22@/diag?host={tmp_path}&port=5999"
    res = CliRunner().invoke(cli, [*command, "--registry", url, "--lock-wait", "1"])
    assert res.exit_code == 2
    assert res.stderr == (
        f"Error: registry postgresql+psycopg://***@/diag?host={tmp_path}&port=5999: "
        f'OperationalError: connection is bad: connection to server on socket "{tmp_path}'
        f'/.s.PGSQL.5999" failed: No such file or directory\n'
    )
