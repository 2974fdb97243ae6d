"""Alembic environment: runs on the engine that :mod:`glutemed.db.migrate` passes in, online only."""

from __future__ import annotations

from alembic import context

from glutemed.db.models import Base

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # pragma: no cover - glutemed.db.migrate always passes one
    raise RuntimeError("run migrations through `glutemed db upgrade` (glutemed.db.migrate)")

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
