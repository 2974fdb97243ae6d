"""assessment and load-report summaries: the dashboard's verdicts, counts, stop, red flags and last spike day

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 08:20:00

Rows that exist already are filled in from their own documents by the same functions that fill new rows
(``glutemed.db.summaries``), in batches, so no older row is left without a summary.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Column types spelled out here, not imported from models.py, so this migration never changes with the models.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BATCH = 500

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ASSESSMENT_COLUMNS = (
    ("summary_verdicts", JSON),
    ("summary_flagged", sa.Integer()),
    ("summary_borderline", sa.Integer()),
    ("summary_not_judged", sa.Integer()),
    ("summary_stopped", sa.Boolean()),
    ("summary_red_flags", JSON),
)


def upgrade() -> None:
    for name, type_ in ASSESSMENT_COLUMNS:
        op.add_column("assessments", sa.Column(name, type_, nullable=True))
    op.add_column("load_reports", sa.Column("summary_last_spike", sa.Date(), nullable=True))
    _backfill()


def downgrade() -> None:
    op.drop_column("load_reports", "summary_last_spike")
    for name, _ in reversed(ASSESSMENT_COLUMNS):
        op.drop_column("assessments", name)


def _backfill() -> None:
    from glutemed.db.summaries import assessment_summary, last_spike_day

    conn = op.get_bind()
    assessments = sa.table(
        "assessments",
        sa.column("id", ID),
        sa.column("gait_result", JSON),
        sa.column("assessment", JSON),
        *(sa.column(name, type_) for name, type_ in ASSESSMENT_COLUMNS),
    )
    loads = sa.table(
        "load_reports",
        sa.column("id", ID),
        sa.column("data", JSON),
        sa.column("summary_last_spike", sa.Date()),
    )
    last = 0
    while True:
        rows = conn.execute(
            sa.select(assessments.c.id, assessments.c.gait_result, assessments.c.assessment)
            .where(assessments.c.id > last)
            .order_by(assessments.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        for row_id, gait, assessment in rows:
            values: dict[str, Any] = assessment_summary(gait, assessment).columns()
            conn.execute(assessments.update().where(assessments.c.id == row_id).values(**values))
        last = rows[-1][0]
    last = 0
    while True:
        reports = conn.execute(
            sa.select(loads.c.id, loads.c.data).where(loads.c.id > last).order_by(loads.c.id).limit(BATCH)
        ).all()
        if not reports:
            break
        for row_id, data in reports:
            conn.execute(
                loads.update().where(loads.c.id == row_id).values(summary_last_spike=last_spike_day(data))
            )
        last = reports[-1][0]
