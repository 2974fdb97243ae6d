"""Fixtures for the database tests: SQLite in a temporary folder, and a real PostgreSQL.

PostgreSQL: a throw-away cluster from Debian's ``postgresql`` package (:class:`glutemed.db.devcluster.TempCluster`:
initdb + pg_ctl of the newest installed version, run as the ``postgres`` user through ``runuser`` when the tests
run as root, since PostgreSQL refuses root), on a free local port with trust authentication, stopped and deleted
when the session ends. On top of it,
pytest-postgresql's ``noproc`` fixture makes a template database and its ``postgresql`` client fixture a fresh
database per test. When no PostgreSQL is installed the PostgreSQL cases are skipped with the reason, unless
``GLUTEMED_REQUIRE_POSTGRES=1`` (set by .ci/run), where they fail instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_postgresql import factories
from pytest_postgresql.executors import NoopExecutor

from glutemed import db
from glutemed.db.devcluster import PostgresMissingError, TempCluster

REQUIRE_ENV = "GLUTEMED_REQUIRE_POSTGRES"


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[NoopExecutor]:
    """A running PostgreSQL cluster for this test session (stopped and removed afterwards)."""
    try:
        cluster = TempCluster.start(max_connections=60)
    except PostgresMissingError as exc:
        reason = f"{exc}; `make test` installs it"
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    with cluster:
        base = NoopExecutor(
            host=cluster.host, port=cluster.port, user=cluster.user, options="", dbname="glutemed_base"
        )
        # the noproc fixture below builds its template from this executor's template database: an empty one
        cluster.create_database(base.template_dbname)
        yield base


postgresql_noproc = factories.postgresql_noproc(depends_on="pg_cluster", dbname="glutemed_tests")
postgresql = factories.postgresql("postgresql_noproc")


def _pg_url(connection: object) -> str:
    info = connection.info  # type: ignore[attr-defined]
    return f"postgresql+psycopg://{info.user}@{info.host}:{info.port}/{info.dbname}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'glutemed.db'}"
    return _pg_url(request.getfixturevalue("postgresql"))


@pytest.fixture
def database(database_url: str) -> Iterator[db.Database]:
    """A migrated database (both kinds), disposed afterwards."""
    opened = db.open_database(database_url)
    db.upgrade(opened.engine)
    yield opened
    opened.dispose()


@pytest.fixture
def store(tmp_path: Path) -> db.FileStore:
    return db.FileStore(tmp_path / "data")


@pytest.fixture
def runner_id(database: db.Database) -> int:
    with database.session() as s:
        clinic = db.create_clinic(s, "Clinic 1")
        return db.create_runner(s, clinic_id=clinic.id, name="Ana Runner").id
