"""The Alembic migrations build exactly the models' schema, on SQLite and on PostgreSQL, and go back down."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from glutemed import db
from glutemed.db.models import Base


def test_upgrade_builds_the_models_schema_and_downgrade_removes_it(database_url: str) -> None:
    database = db.open_database(database_url)
    try:
        assert db.current_revision(database.engine) is None
        assert db.upgrade(database.engine) == db.head_revision()
        assert db.is_current(database.engine)
        with database.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
        tables = set(inspect(database.engine).get_table_names())
        assert {
            "clinics",
            "users",
            "invitations",
            "login_attempts",
            "runners",
            "intakes",
            "test_results",
        } <= tables
        assert {"uploads", "jobs", "assessments", "programs", "load_reports"} <= tables
        from glutemed.db.migrate import downgrade

        downgrade(database.engine, "base")
        assert set(inspect(database.engine).get_table_names()) <= {"alembic_version"}
        db.upgrade(database.engine)  # and up again: the migration is repeatable
        assert db.is_current(database.engine)
    finally:
        database.dispose()


def test_sqlite_connections_use_wal_and_foreign_keys(tmp_path) -> None:
    database = db.open_database(None, data_folder=tmp_path)
    try:
        assert database.url.database == str(tmp_path / "glutemed.db")
        with database.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        database.dispose()


def test_urls_from_the_environment_and_plain_postgresql(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("GLUTEMED_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("GLUTEMED_DATABASE_URL", raising=False)
    assert db.database_url().database == str(tmp_path / "glutemed.db")
    monkeypatch.setenv("GLUTEMED_DATABASE_URL", "postgresql://u:p@h/clinic")
    assert db.database_url().drivername == "postgresql+psycopg"
    assert db.database_url("sqlite:///x.db").database == "x.db"
    import pytest

    with pytest.raises(ValueError, match="unsupported database"):
        db.database_url("mysql://h/db")
