"""Where the database is and how to connect: URL, engine with its pool, and sessions.

- SQLite by default: ``glutemed.db`` in the data folder (``GLUTEMED_DATA_DIR``, else the user's data folder
  from platformdirs, e.g. ``~/.local/share/glutemed``), opened with WAL journaling, foreign keys on, a busy
  timeout and ``synchronous=NORMAL``. pysqlite's own implicit transactions are switched off and SQLAlchemy
  emits ``BEGIN`` itself, so :meth:`Database.write` can take the write lock up front (``BEGIN IMMEDIATE``):
  a read-then-write transaction then never fails with "database is locked" half way.
- PostgreSQL through ``postgresql+psycopg://user:pass@host/db`` (psycopg 3); a plain ``postgresql://`` URL is
  read as psycopg 3 too.
- ``GLUTEMED_DATABASE_URL`` overrides the default; ``--database-url`` overrides both.

Nothing is built at import time: :func:`open_database` makes the engine when a command or app asks for it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

DATABASE_ENV = "GLUTEMED_DATABASE_URL"
DATA_DIR_ENV = "GLUTEMED_DATA_DIR"
DB_FILE = "glutemed.db"
SQLITE_BUSY_TIMEOUT_MS = 30_000
_BEGIN_OPTION = "glutemed_sqlite_begin"


def data_dir(explicit: str | Path | None = None) -> Path:
    """The folder for the database file and stored uploads: the argument, ``GLUTEMED_DATA_DIR``, or the
    user's data folder (platformdirs)."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("glutemed", appauthor=False))


def database_url(explicit: str | URL | None = None, *, data_folder: str | Path | None = None) -> URL:
    """The URL to use: the argument, ``GLUTEMED_DATABASE_URL``, or SQLite in the data folder."""
    text = explicit or os.environ.get(DATABASE_ENV)
    if not text:
        return URL.create("sqlite", database=str(data_dir(data_folder) / DB_FILE))
    url = make_url(text)
    if url.drivername in {"postgresql", "postgres"}:
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() not in {"sqlite", "postgresql"}:
        raise ValueError(f"unsupported database {url.get_backend_name()!r}: use sqlite or postgresql+psycopg")
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN (see _sqlite_begin)
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()


def _sqlite_begin(conn: Any) -> None:
    mode = conn.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str | URL, *, pool_size: int = 10, max_overflow: int = 10, echo: bool = False) -> Engine:
    """An engine with a connection pool sized for a web server's threads plus in-process job workers.

    ``pool_size`` connections are kept open, up to ``max_overflow`` more under load; connections are checked
    before use (``pool_pre_ping``) so a restarted PostgreSQL does not fail the next request.
    """
    url = make_url(url) if isinstance(url, str) else url
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            echo=echo,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_pre_ping=True,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_pre_ping=True,
        pool_recycle=1800,
    )


@dataclass
class Database:
    """An engine and its session factory. ``session()`` for reads (and writes that only insert);
    ``write()`` for read-then-write transactions: on SQLite it takes the write lock at BEGIN."""

    engine: Engine
    sessions: sessionmaker[Session]
    write_sessions: sessionmaker[Session]

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def url(self) -> URL:
        return self.engine.url

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error."""
        with self.sessions() as s, s.begin():
            yield s

    @contextmanager
    def write(self) -> Iterator[Session]:
        """Like :meth:`session`, but the transaction holds the write lock from its start on SQLite
        (``BEGIN IMMEDIATE``); on PostgreSQL it is an ordinary transaction."""
        with self.write_sessions() as s, s.begin():
            yield s

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(
    url: str | URL | None = None,
    *,
    data_folder: str | Path | None = None,
    pool_size: int = 10,
    max_overflow: int = 10,
    echo: bool = False,
) -> Database:
    """Connect (no tables are created: run ``glutemed db upgrade`` or :func:`glutemed.db.upgrade`)."""
    resolved = database_url(url, data_folder=data_folder)
    engine = make_engine(resolved, pool_size=pool_size, max_overflow=max_overflow, echo=echo)
    sqlite = resolved.get_backend_name() == "sqlite"
    writer = engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"}) if sqlite else engine
    return Database(
        engine=engine,
        sessions=sessionmaker(engine, expire_on_commit=False),
        write_sessions=sessionmaker(writer, expire_on_commit=False),
    )
