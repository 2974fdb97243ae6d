"""Fixtures for the database tests: SQLite in a temporary folder, and a real PostgreSQL.

PostgreSQL: a throw-away cluster from Debian's ``postgresql`` package (initdb + pg_ctl of the newest installed
version, run as the ``postgres`` user through ``runuser`` when the tests run as root, since PostgreSQL refuses
root), on a free local port with trust authentication, stopped and deleted when the session ends. On top of it,
pytest-postgresql's ``noproc`` fixture makes a template database and its ``postgresql`` client fixture a fresh
database per test. When no PostgreSQL is installed the PostgreSQL cases are skipped with the reason, unless
``GLUTEMED_REQUIRE_POSTGRES=1`` (set by .ci/run), where they fail instead.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_postgresql import factories
from pytest_postgresql.executors import NoopExecutor

from glutemed import db

REQUIRE_ENV = "GLUTEMED_REQUIRE_POSTGRES"


def _pg_bindir() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _as_postgres(args: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return args
    return ["runuser", "-u", "postgres", "--", *args]


def _free_port() -> int:
    import port_for

    return int(port_for.select_random())


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[NoopExecutor]:
    """A running PostgreSQL cluster for this test session (stopped and removed afterwards)."""
    bindir = _pg_bindir()
    if bindir is None:
        reason = "PostgreSQL is not installed (`make test` installs Debian's postgresql; or apt-get install postgresql)"
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="glutemed-pg-"))
    if os.geteuid() == 0:
        entry = pwd.getpwnam("postgres")
        os.chown(root, entry.pw_uid, entry.pw_gid)
    data, port = root / "data", _free_port()
    run = {"capture_output": True, "text": True}
    subprocess.run(
        _as_postgres(
            [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
        ),
        check=True,
        **run,
    )
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60"
    pg_ctl = str(bindir / "pg_ctl")
    subprocess.run(
        _as_postgres([pg_ctl, "-D", str(data), "-l", str(root / "log"), "-o", options, "-w", "start"]),
        check=True,
        **run,
    )
    try:
        base = NoopExecutor(host="127.0.0.1", port=port, user="postgres", options="", dbname="glutemed_base")
        # the noproc fixture below builds its template from this executor's template database: an empty one
        subprocess.run(
            [
                str(bindir / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "postgres",
                base.template_dbname,
            ],
            check=True,
            **run,
        )
        yield base
    finally:
        subprocess.run(_as_postgres([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"]), check=False)
        shutil.rmtree(root, ignore_errors=True)


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
