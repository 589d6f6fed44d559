"""Database plumbing: engine per URL, the declarative Base, column types, and units of work.

Every SQLite/PostgreSQL difference lives in this module (and `layers.kit.dialect`):

* SQLite runs in WAL mode with a busy timeout and foreign keys on. pysqlite's own transaction
  handling is switched off and we emit ``BEGIN`` ourselves: read units use a deferred
  ``BEGIN`` (readers never block in WAL), write units use ``BEGIN IMMEDIATE`` so that a
  transaction never has to upgrade a read lock to a write lock, which SQLite cannot wait for.
* PostgreSQL goes through psycopg 3; JSON columns are JSONB there.
* Datetimes are always timezone-aware UTC in Python; SQLite stores them as naive UTC text.
"""

from __future__ import annotations

import contextlib
import os
import stat
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from layers.kit.storable import storable

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Aware UTC datetimes in Python; ``timestamptz`` on PostgreSQL, naive UTC on SQLite."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class _StorableJSON(sa.TypeDecorator[Any]):
    """JSON (JSONB on PostgreSQL) whose strings are stored the same on both databases.

    Strings are made storable on the way in and on the way out (`layers.kit.storable`): NUL
    dropped, a lone surrogate replaced by U+FFFD. Request bodies and parameters refuse both
    with a 422 at the edge; what still carries one here is text from outside (a platform's
    error message, an OAuth callback's error description, a traceback), kept readable rather
    than failing the write that records it, or a row stored before the edge refused it, which
    must not fail every later read.
    """

    impl = sa.JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(sa.JSON())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return storable(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return storable(value)


JSONType = _StorableJSON()

# DBOS keeps its system tables in the same SQLite file (in schema "dbos" on PostgreSQL), so
# that a workflow can be enqueued in the same transaction as the rows that ask for it.
DBOS_SQLITE_TABLES = frozenset(
    {
        "application_versions",
        "dbos_migrations",
        "notifications",
        "operation_outputs",
        "queues",
        "streams",
        "workflow_events",
        "workflow_events_history",
        "workflow_input",
        "workflow_output",
        "workflow_schedules",
        "workflow_status",
    }
)


def private_sqlite_file(url: str) -> None:
    """Create the SQLite file of `url` readable by its owner only (0600), or tighten one that
    exists. SQLite gives the ``-wal`` and ``-shm`` files it creates the database file's mode,
    so they are private too; ones left by an earlier run are tightened with it. An in-memory
    database has no file."""
    path = sa.engine.make_url(url).database
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    # Never open (and close) a database file that exists: closing any descriptor of a file
    # drops every POSIX lock this process holds on it, SQLite's included.
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for name in (path, f"{path}-wal", f"{path}-shm", f"{path}-journal"):
        with contextlib.suppress(FileNotFoundError):
            if stat.S_IMODE(os.stat(name).st_mode) & 0o077:
                os.chmod(name, 0o600)


def normalize_url(url: str) -> str:
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_system_engine(url: str) -> sa.Engine:
    """The engine DBOS uses for its system tables.

    On SQLite DBOS manages transactions itself and expects pysqlite's implicit ones (it
    issues its own ``BEGIN IMMEDIATE``), so this engine has no BEGIN hook of ours; it gets
    the same WAL, busy-timeout and synchronous settings as the app's engine.
    """
    url = normalize_url(url)
    if not url.startswith("sqlite"):
        return sa.create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)
    private_sqlite_file(url)
    engine = sa.create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        pool_size=10,
        max_overflow=20,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = "IMMEDIATE"
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


_WRITER_KEY = "layers_sqlite_writer"


def make_engine(url: str, *, pool_size: int = 10, immediate: bool = False) -> sa.Engine:
    """An engine for `url`. With ``immediate=True`` every SQLite transaction is a write one."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        private_sqlite_file(url)
        engine = sa.create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=pool_size,
            max_overflow=20,
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        # One writer at a time within this process: waiting on a lock wakes the next writer
        # the moment the last one is done, where SQLite's busy handler would poll and sleep.
        writer = threading.Lock()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: sa.Connection) -> None:
            write = immediate or conn.get_execution_options().get("layers_write", False)
            if write and not conn.info.get(_WRITER_KEY):
                writer.acquire()
                conn.info[_WRITER_KEY] = True
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        def _release(_dbapi_conn: Any, record: Any, *_args: Any) -> None:
            if record is not None and record.info.pop(_WRITER_KEY, False):
                writer.release()

        event.listen(engine, "checkin", _release)
        event.listen(engine, "invalidate", _release)
        return engine
    return sa.create_engine(
        url, pool_size=pool_size, max_overflow=20, pool_pre_ping=True, pool_recycle=1800
    )


@dataclass
class Database:
    """The app's engine and the two kinds of session it hands out."""

    engine: sa.Engine

    def __post_init__(self) -> None:
        self._read = sessionmaker(bind=self.engine, expire_on_commit=False)
        self._write = sessionmaker(
            bind=self.engine.execution_options(layers_write=True), expire_on_commit=False
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self, *, write: bool) -> Session:
        return (self._write if write else self._read)()

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """One unit of work: commits on success, rolls back on any exception."""
        session = self.session(write=write)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


_database: Database | None = None


def get_database() -> Database:
    if _database is None:
        raise RuntimeError("database not configured; call layers.kit.db.configure() first")
    return _database


def configure(url: str) -> Database:
    global _database
    if _database is not None:
        _database.engine.dispose()
    _database = Database(make_engine(url))
    return _database


def is_configured() -> bool:
    return _database is not None


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run `callback` once `session`'s current transaction has committed (never on rollback)."""

    def _fire(_session: Session) -> None:
        callback()

    event.listen(session, "after_commit", _fire, once=True)
