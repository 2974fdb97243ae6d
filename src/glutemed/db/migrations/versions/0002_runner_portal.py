"""runner portal: training logs with next-morning pain, progression decisions with overrides, calendar feeds

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 08:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Column types spelled out here, not imported from models.py, so this migration never changes with the models.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime()  # UTC, naive (models.UTCDateTime adds the zone on reading)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
ACTIONS = "('progress', 'hold', 'regress')"

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "training_logs",
        sa.Column("id", ID, nullable=False),
        sa.Column("runner_id", ID, nullable=False),
        sa.Column("program_id", ID, nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("data", JSON, nullable=False),
        sa.Column("client_key", sa.String(length=64), nullable=False),
        sa.Column("morning_pain_0_10", sa.Float(), nullable=True),
        sa.Column("morning_stiffness_0_10", sa.Float(), nullable=True),
        sa.Column("morning_logged_at", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        sa.CheckConstraint("kind IN ('session', 'run')", name=op.f("ck_training_logs_kind")),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_training_logs_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_training_logs_program_id_programs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["runner_id"], ["runners.id"], name=op.f("fk_training_logs_runner_id_runners"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_logs")),
        sa.UniqueConstraint("runner_id", "client_key", name="uq_training_logs_runner_key"),
    )
    op.create_index("ix_training_logs_runner_day", "training_logs", ["runner_id", "day"])
    op.create_table(
        "progress_decisions",
        sa.Column("id", ID, nullable=False),
        sa.Column("runner_id", ID, nullable=False),
        sa.Column("training_log_id", ID, nullable=False),
        sa.Column("program_id", ID, nullable=True),
        sa.Column("exercise_id", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("next_step", sa.Text(), nullable=False),
        sa.Column("data", JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("override_action", sa.String(length=16), nullable=True),
        sa.Column("override_note", sa.Text(), nullable=True),
        sa.Column("overridden_by", ID, nullable=True),
        sa.Column("overridden_at", TS, nullable=True),
        sa.CheckConstraint(f"action IN {ACTIONS}", name=op.f("ck_progress_decisions_action")),
        sa.CheckConstraint(
            f"override_action IS NULL OR override_action IN {ACTIONS}",
            name=op.f("ck_progress_decisions_override_action"),
        ),
        sa.ForeignKeyConstraint(
            ["overridden_by"],
            ["users.id"],
            name=op.f("fk_progress_decisions_overridden_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_progress_decisions_program_id_programs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["runner_id"],
            ["runners.id"],
            name=op.f("fk_progress_decisions_runner_id_runners"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["training_log_id"],
            ["training_logs.id"],
            name=op.f("fk_progress_decisions_training_log_id_training_logs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_decisions")),
    )
    op.create_index("ix_progress_decisions_runner_created", "progress_decisions", ["runner_id", "created_at"])
    op.create_index(op.f("ix_progress_decisions_training_log_id"), "progress_decisions", ["training_log_id"])
    op.create_table(
        "calendar_feeds",
        sa.Column("id", ID, nullable=False),
        sa.Column("runner_id", ID, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("revoked_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_calendar_feeds_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["runner_id"],
            ["runners.id"],
            name=op.f("fk_calendar_feeds_runner_id_runners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feeds")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_calendar_feeds_token_hash")),
    )
    op.create_index(op.f("ix_calendar_feeds_runner_id"), "calendar_feeds", ["runner_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_calendar_feeds_runner_id"), table_name="calendar_feeds")
    op.drop_table("calendar_feeds")
    op.drop_index(op.f("ix_progress_decisions_training_log_id"), table_name="progress_decisions")
    op.drop_index("ix_progress_decisions_runner_created", table_name="progress_decisions")
    op.drop_table("progress_decisions")
    op.drop_index("ix_training_logs_runner_day", table_name="training_logs")
    op.drop_table("training_logs")
