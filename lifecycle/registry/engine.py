"""Opening a registry: URL resolution, the engine (SQLite pragmas, write transactions), error
translation, and the schema migrations run on first use.

SQLite notes from the outside world: WAL lets readers run while one writer writes; a writer
waits up to `busy_timeout` for the lock. A deferred transaction that reads and then writes can
fail at once with SQLITE_BUSY_SNAPSHOT (the busy handler is never called for it) when another
writer committed in between, so every write transaction here starts with BEGIN IMMEDIATE: it
takes the write lock first and waits for it. PostgreSQL needs none of this.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from diag import redact
from lifecycle.registry.errors import RegistryError

HEAD = "r0001"  # the newest migration; a unit test pins it to the scripts' head
KNOWN = ("r0001",)
MIGRATIONS = Path(__file__).with_name("migrations")
PG_MIGRATION_LOCK = 0x6469_6167  # pg_advisory_xact_lock key: concurrent first uses wait
# Plain PostgreSQL URLs mean psycopg 3 (the `postgres` extra), not SQLAlchemy's psycopg2 default.
_PG_SCHEMES = ("postgresql://", "postgres://")
PG_DRIVER = "postgresql+psycopg://"

# SQLite's own words, in the message of the OperationalError / DatabaseError it raises.
_SQLITE_PROBLEMS = (
    ("database is locked", "locked by another process (gave up after {wait} s)"),
    ("readonly database", "read-only: cannot write to it"),
    ("file is not a database", "corrupted: not an SQLite database"),
    ("malformed", "corrupted: the database image is malformed"),
    ("unable to open database file", "cannot be opened (missing directory or no permission)"),
    ("disk i/o error", "disk I/O error"),
)


def default_url(state_dir: Path) -> str:
    return f"sqlite:///{state_dir / 'registry.db'}"


def shown(url: str) -> str:
    """The URL for messages: a password never reaches a terminal or a log."""
    return redact.url(url)


def redacted(message: str, url: str) -> str:
    """A message about the registry at `url`, its password masked wherever the driver put it."""
    return redact.text(message, redact.url_secrets(url))


def translate(exc: DBAPIError, url: str, wait_s: float) -> RegistryError:
    """A driver error as one line naming the registry."""
    msg = str(exc.orig).strip() if exc.orig is not None else str(exc)
    msg = redacted(msg.splitlines()[0] if msg else type(exc).__name__, url)
    low = msg.lower()
    for needle, said in _SQLITE_PROBLEMS:
        if needle in low:
            return RegistryError(f"registry {shown(url)}: {said.format(wait=wait_s)}")
    return RegistryError(f"registry {shown(url)}: {type(exc.orig).__name__}: {msg}")


def _sqlite_engine(url: str, wait_s: float) -> Engine:
    path = make_url(url).database or ""
    if path and path != ":memory:" and not path.startswith("file:"):
        Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": wait_s, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi: Any, record: Any) -> None:
        dbapi.isolation_level = None  # we issue BEGIN ourselves (see the module docstring)
        cur = dbapi.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(wait_s * 1000)}")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("registry_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def make_engine(url: str, wait_s: float) -> Engine:
    try:
        if make_url(url).get_backend_name() == "sqlite":
            return _sqlite_engine(url, wait_s)
        return create_engine(url, connect_args={"connect_timeout": max(1, int(wait_s))})
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        said = redacted(str(exc), url)
        raise RegistryError(f"registry {shown(url)}: unusable URL: {said}") from None
    except OSError as exc:
        said = redacted(str(exc.strerror or exc), url)
        raise RegistryError(f"registry {shown(url)}: {said}") from None


def lock_asset(conn: Connection, host_id: str) -> None:
    """Serialise writers of one asset until this transaction ends. PostgreSQL: an advisory lock
    on a key from the host_id, so two jump hosts registering the same new machine do not both
    insert it (the loser would fail on the primary key). SQLite: BEGIN IMMEDIATE already
    serialises every writer."""
    if conn.dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(host_id.encode()).digest()[:8], "big", signed=True)
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """One write transaction: all of it commits, or none of it (rolled back on any error)."""
    with engine.connect().execution_options(registry_write=True) as conn, conn.begin():
        yield conn


def revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def migrate(engine: Engine, url: str) -> str | None:
    """Bring the schema to HEAD; returns the revision it started from (None: a new registry).
    Concurrent first uses serialise on the write lock (SQLite) or an advisory lock (PostgreSQL)
    and re-check under it, so exactly one of them migrates."""
    with engine.connect() as conn, conn.begin():
        current = revision(conn)
    if current == HEAD:
        return current
    with writing(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_MIGRATION_LOCK})
        current = revision(conn)
        if current == HEAD:
            return current
        if current is not None and current not in KNOWN:
            raise RegistryError(
                f"registry {shown(url)}: schema revision {current} is newer than this diagctl "
                f"knows ({HEAD}); upgrade diagctl"
            )
        _upgrade(conn)
    return current


def _upgrade(conn: Connection) -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "head")


def resolve(given: str | None, state_dir: Path) -> str:
    """--registry / DIAGCTL_REGISTRY / config key as given (a URL or a plain file path)."""
    if not given:
        return default_url(state_dir)
    if given.startswith(_PG_SCHEMES):
        return PG_DRIVER + given.split("://", 1)[1]
    if "://" in given:
        return given
    return f"sqlite:///{os.path.abspath(os.path.expanduser(given))}"
