"""Connection pool settings: defaults, the GLUTEMED_DB_POOL_* environment, a job worker's fixed pool, and the
pool's limit as SQLite and PostgreSQL connections actually meet it."""

from __future__ import annotations

from contextlib import ExitStack

import pytest
from sqlalchemy import text
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from glutemed import db
from glutemed.db.engine import POOL_ENV, PoolSettings, connections_needed


def test_the_environment_overrides_the_defaults_and_bad_values_are_named() -> None:
    assert PoolSettings.from_env({}) == PoolSettings(10, 10, 30.0, 1800, True)
    env = {
        "GLUTEMED_DB_POOL_SIZE": "4",
        "GLUTEMED_DB_MAX_OVERFLOW": "0",
        "GLUTEMED_DB_POOL_TIMEOUT": "2.5",
        "GLUTEMED_DB_POOL_RECYCLE": "-1",
        "GLUTEMED_DB_POOL_PRE_PING": "off",
    }
    assert set(env) == set(POOL_ENV.values())
    assert PoolSettings.from_env(env) == PoolSettings(4, 0, 2.5, -1, False)
    with pytest.raises(ValueError, match="GLUTEMED_DB_POOL_SIZE must be a whole number, not 'ten'"):
        PoolSettings.from_env({"GLUTEMED_DB_POOL_SIZE": "ten"})
    with pytest.raises(ValueError, match="GLUTEMED_DB_POOL_PRE_PING must be true or false"):
        PoolSettings.from_env({"GLUTEMED_DB_POOL_PRE_PING": "maybe"})
    with pytest.raises(ValueError, match=r"pool size must be 1 or more \(got 0\)"):
        PoolSettings.from_env({"GLUTEMED_DB_POOL_SIZE": "0"})


def test_connections_needed_adds_the_web_processes_pools_and_four_per_job_worker() -> None:
    assert connections_needed(2, 8, PoolSettings()) == 2 * (10 + 10) + 8 * 4
    assert connections_needed(4, 4, PoolSettings(pool_size=5, max_overflow=5)) == 4 * 10 + 4 * 4


def test_explicit_sizes_win_over_the_environment(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GLUTEMED_DB_POOL_SIZE", "7")
    monkeypatch.setenv("GLUTEMED_DB_MAX_OVERFLOW", "3")
    web = db.open_database(database_url)  # as the web app opens it
    job_worker = db.open_database(database_url, pool_size=2, max_overflow=2)  # as `glutemed worker` does
    try:
        assert web.engine.pool.size() == 7  # type: ignore[attr-defined]
        assert job_worker.engine.pool.size() == 2  # type: ignore[attr-defined]
    finally:
        web.dispose()
        job_worker.dispose()


def test_the_pool_opens_size_plus_overflow_connections_then_waits_and_times_out(database_url: str) -> None:
    database = db.open_database(database_url, pool=PoolSettings(pool_size=2, max_overflow=1, timeout_s=0.2))
    try:
        with ExitStack() as held:
            for _ in range(3):
                conn = held.enter_context(database.engine.connect())
                assert conn.execute(text("SELECT 1")).scalar() == 1
            with pytest.raises(PoolTimeoutError):
                database.engine.connect()
        with database.engine.connect() as conn:  # given back: usable again
            assert conn.execute(text("SELECT 1")).scalar() == 1
            if database.is_sqlite:  # WAL and the busy timeout whatever the pool
                assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
    finally:
        database.dispose()
