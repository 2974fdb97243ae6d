"""Where the database is and how to connect: URL, engine with its pool, and sessions.

- SQLite by default: ``glutemed.db`` in the data folder (``GLUTEMED_DATA_DIR``, else the user's data folder
  from platformdirs, e.g. ``~/.local/share/glutemed``), opened with WAL journaling, foreign keys on, a busy
  timeout and ``synchronous=NORMAL``. pysqlite's own implicit transactions are switched off and SQLAlchemy
  emits ``BEGIN`` itself, so :meth:`Database.write` can take the write lock up front (``BEGIN IMMEDIATE``):
  a read-then-write transaction then never fails with "database is locked" half way.
- PostgreSQL through ``postgresql+psycopg://user:pass@host/db`` (psycopg 3); a plain ``postgresql://`` URL is
  read as psycopg 3 too.
- ``GLUTEMED_DATABASE_URL`` overrides the default; ``--database-url`` overrides both.

Connection pool (:class:`PoolSettings`), per process: every uvicorn worker process of the web app and every job
worker process keeps its own pool. Defaults, each overridable from the environment:

==============================  =======  ====================================================================
variable                        default  meaning
==============================  =======  ====================================================================
``GLUTEMED_DB_POOL_SIZE``       10       connections kept open (the web server; a job worker uses 2)
``GLUTEMED_DB_MAX_OVERFLOW``    10       extra connections opened under load and closed after (job worker: 2)
``GLUTEMED_DB_POOL_TIMEOUT``    30       seconds a request waits for a free connection before it fails
``GLUTEMED_DB_POOL_RECYCLE``    1800     seconds after which a connection is replaced (PostgreSQL; -1: never)
``GLUTEMED_DB_POOL_PRE_PING``   true     test a connection before use, so a restarted server fails nothing
==============================  =======  ====================================================================

A job worker needs two connections at most (its job and its lease heartbeat), so ``glutemed worker`` opens its
pool with 2 + 2 whatever the environment says. PostgreSQL's ``max_connections`` must exceed
``uvicorn workers x (pool size + overflow) + job workers x 4`` (:func:`connections_needed`) plus the
administrator's own sessions. SQLite keeps WAL journaling and the busy timeout whatever the pool.

Nothing is built at import time: :func:`open_database` makes the engine when a command or app asks for it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
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


POOL_ENV = {
    "pool_size": "GLUTEMED_DB_POOL_SIZE",
    "max_overflow": "GLUTEMED_DB_MAX_OVERFLOW",
    "timeout_s": "GLUTEMED_DB_POOL_TIMEOUT",
    "recycle_s": "GLUTEMED_DB_POOL_RECYCLE",
    "pre_ping": "GLUTEMED_DB_POOL_PRE_PING",
}
JOB_WORKER_CONNECTIONS = 4  # glutemed worker: pool 2 + overflow 2
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


@dataclass(frozen=True)
class PoolSettings:
    """How one process's connection pool is sized and kept healthy (see the module's table)."""

    pool_size: int = 10
    max_overflow: int = 10
    timeout_s: float = 30.0
    recycle_s: int = 1800
    pre_ping: bool = True

    def __post_init__(self) -> None:
        if self.pool_size < 1:
            raise ValueError(f"the pool size must be 1 or more (got {self.pool_size})")
        if self.max_overflow < 0:
            raise ValueError(f"the pool overflow must be 0 or more (got {self.max_overflow})")
        if self.timeout_s <= 0:
            raise ValueError(f"the pool timeout must be more than 0 seconds (got {self.timeout_s:g})")
        if self.recycle_s == 0 or self.recycle_s < -1:
            raise ValueError(f"the pool recycle time must be seconds above 0, or -1 (got {self.recycle_s})")

    @property
    def connections(self) -> int:
        """The most connections this pool opens at once."""
        return self.pool_size + self.max_overflow

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> PoolSettings:
        """The defaults, overridden by the ``GLUTEMED_DB_POOL_*`` variables that are set (ValueError naming
        the variable for a value that is not a number, or not true/false)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name, variable in POOL_ENV.items():
            text = env.get(variable, "").strip()
            if not text:
                continue
            if name == "pre_ping":
                if text.lower() not in _TRUE | _FALSE:
                    raise ValueError(f"{variable} must be true or false, not {text!r}")
                values[name] = text.lower() in _TRUE
                continue
            try:
                values[name] = float(text) if name == "timeout_s" else int(text)
            except ValueError:
                raise ValueError(
                    f"{variable} must be a whole number{'' if name != 'timeout_s' else ' of seconds'}"
                    f", not {text!r}"
                ) from None
        try:
            return cls(**values)
        except ValueError as exc:
            raise ValueError(f"{exc} (from the GLUTEMED_DB_POOL_* settings)") from None


def connections_needed(web_processes: int, job_workers: int, web_pool: PoolSettings | None = None) -> int:
    """The most connections the web server's processes and the job workers open together (set PostgreSQL's
    ``max_connections`` above it, with room for administration)."""
    pool = web_pool or PoolSettings.from_env()
    return web_processes * pool.connections + job_workers * JOB_WORKER_CONNECTIONS


def make_engine(
    url: str | URL,
    *,
    pool: PoolSettings | None = None,
    pool_size: int | None = None,
    max_overflow: int | None = None,
    echo: bool = False,
) -> Engine:
    """An engine with a connection pool: ``pool`` (default: :meth:`PoolSettings.from_env`), with
    ``pool_size`` and ``max_overflow``, when given, taking precedence (a job worker's fixed 2 + 2).

    Connections are checked before use (``pool_pre_ping``) so a restarted PostgreSQL does not fail the next
    request, and replaced after ``recycle_s`` so none outlives a server or firewall idle limit.
    """
    url = make_url(url) if isinstance(url, str) else url
    settings = pool or PoolSettings.from_env()
    settings = replace(
        settings,
        pool_size=settings.pool_size if pool_size is None else pool_size,
        max_overflow=settings.max_overflow if max_overflow is None else max_overflow,
    )
    options: dict[str, Any] = {
        "echo": echo,
        "pool_size": settings.pool_size,
        "max_overflow": settings.max_overflow,
        "pool_timeout": settings.timeout_s,
        "pool_pre_ping": settings.pre_ping,
    }
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            **options,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, **options, pool_recycle=settings.recycle_s)


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
    pool: PoolSettings | None = None,
    pool_size: int | None = None,
    max_overflow: int | None = None,
    echo: bool = False,
) -> Database:
    """Connect (no tables are created: run ``glutemed db upgrade`` or :func:`glutemed.db.upgrade`).

    The pool is ``pool`` or the environment's :class:`PoolSettings`; ``pool_size`` and ``max_overflow`` win
    when given."""
    resolved = database_url(url, data_folder=data_folder)
    engine = make_engine(resolved, pool=pool, pool_size=pool_size, max_overflow=max_overflow, echo=echo)
    sqlite = resolved.get_backend_name() == "sqlite"
    writer = engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"}) if sqlite else engine
    return Database(
        engine=engine,
        sessions=sessionmaker(engine, expire_on_commit=False),
        write_sessions=sessionmaker(writer, expire_on_commit=False),
    )
