"""A throwaway PostgreSQL cluster from Debian's `postgresql` package: initdb + pg_ctl, listening
only on a Unix socket in a temp directory (no TCP port), trust authentication, fsync off. Run
as the `postgres` user when the tests run as root (the server refuses to run as root).

`PgCluster.stop()` / `.start()` take the server away and bring it back mid-test (same data);
the `pg_cluster` fixture stops it and removes the directory afterwards. bench/ uses the class too.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator

import pytest

from tests.support.components import require


def pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name) or ""


def available() -> bool:
    return bool(pg_bin("initdb") and pg_bin("pg_ctl"))


class PgCluster:
    def __init__(self) -> None:
        self.owner = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
        self.dir = tempfile.mkdtemp(prefix="diagctl-pg-")
        if self.owner is not None:
            os.chown(self.dir, self.owner.pw_uid, self.owner.pw_gid)
        self.data, self.log = f"{self.dir}/data", f"{self.dir}/log"
        self._run([pg_bin("initdb"), "-D", self.data, "-U", "diag", "--auth=trust", "-E", "UTF8",
                   "--no-sync"])  # fmt: skip

    def _run(self, argv: list[str]) -> None:
        if self.owner is not None:
            argv = ["setpriv", f"--reuid={self.owner.pw_uid}", f"--regid={self.owner.pw_gid}",
                    "--clear-groups", *argv]  # fmt: skip
        subprocess.run(argv, check=True, timeout=120, capture_output=True)

    def start(self) -> None:
        opts = f"-k {self.dir} -c listen_addresses='' -c fsync=off -c max_connections=200 -p 5432"
        self._run([pg_bin("pg_ctl"), "-D", self.data, "-l", self.log, "-o", opts, "-w", "-t",
                   "60", "start"])  # fmt: skip

    def stop(self) -> None:
        """Immediate shutdown: like a crash, connections are cut without a goodbye."""
        self._run([pg_bin("pg_ctl"), "-D", self.data, "-m", "immediate", "-w", "stop"])

    def url(self, db: str, scheme: str = "postgresql+psycopg") -> str:
        return f"{scheme}://diag@/{db}?host={self.dir}&port=5432"

    def new_db(self, name: str) -> str:
        from sqlalchemy import create_engine, text

        admin = create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f"CREATE DATABASE {name}"))
        admin.dispose()
        return self.url(name)

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def pg_cluster() -> Iterator[PgCluster]:
    require("postgresql (initdb, pg_ctl)", available(), "apt-get install postgresql")
    cluster = PgCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()
