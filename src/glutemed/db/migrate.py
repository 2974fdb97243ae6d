"""Run the Alembic migrations shipped inside the package (``glutemed/db/migrations``).

The same migrations serve SQLite and PostgreSQL. SQLite alters tables in batch mode (copy and swap), which
the env script switches on for SQLite only.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(engine: Engine) -> Config:
    """An Alembic config that runs on ``engine`` (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> str | None:
    """Bring the schema up to ``revision``; returns the revision the database is at afterwards."""
    command.upgrade(alembic_config(engine), revision)
    return current_revision(engine)


def downgrade(engine: Engine, revision: str) -> str | None:
    command.downgrade(alembic_config(engine), revision)
    return current_revision(engine)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def is_current(engine: Engine) -> bool:
    """True when the database is at the newest migration (a server can refuse to start otherwise)."""
    return current_revision(engine) == head_revision()
