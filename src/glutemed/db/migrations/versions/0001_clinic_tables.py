"""clinic tables: accounts, runners, records, uploads, jobs, results

Revision ID: 0001
Revises:
Create Date: 2026-12-06 05:25:20.542436
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Column types spelled out here, not imported from models.py, so this migration never changes with the models.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite autoincrements only INTEGER PRIMARY KEY
TS = sa.DateTime()  # UTC, naive (models.UTCDateTime adds the zone on reading)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clinics",
        sa.Column("id", ID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinics")),
    )
    op.create_table(
        "login_attempts",
        sa.Column("id", ID, nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempts")),
    )
    op.create_index("ix_login_attempts_email_at", "login_attempts", ["email", "at"])

    op.create_table(
        "runners",
        sa.Column("id", ID, nullable=False),
        sa.Column("clinic_id", ID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_runners_clinic_id_clinics"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runners")),
    )
    op.create_index(op.f("ix_runners_clinic_id"), "runners", ["clinic_id"])

    op.create_table(
        "users",
        sa.Column("id", ID, nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=300), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("clinic_id", ID, nullable=True),
        sa.Column("runner_id", ID, nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("password_changed_at", TS, nullable=False),
        sa.CheckConstraint(
            "role != 'clinician' OR clinic_id IS NOT NULL", name=op.f("ck_users_clinician_has_clinic")
        ),
        sa.CheckConstraint(
            "role != 'runner' OR runner_id IS NOT NULL", name=op.f("ck_users_runner_has_record")
        ),
        sa.CheckConstraint("role IN ('admin', 'clinician', 'runner')", name=op.f("ck_users_role")),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_users_clinic_id_clinics"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["runner_id"], ["runners.id"], name=op.f("fk_users_runner_id_runners"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_index(op.f("ix_users_clinic_id"), "users", ["clinic_id"])
    op.create_index(op.f("ix_users_runner_id"), "users", ["runner_id"])

    op.create_table(
        "intakes",
        sa.Column("id", ID, nullable=False),
        sa.Column("runner_id", ID, nullable=False),
        sa.Column("data", JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_intakes_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["runner_id"], ["runners.id"], name=op.f("fk_intakes_runner_id_runners"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intakes")),
    )
    op.create_index("ix_intakes_runner_created", "intakes", ["runner_id", "created_at"])

    op.create_table(
        "invitations",
        sa.Column("id", ID, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("runner_id", ID, nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("used_at", TS, nullable=True),
        sa.Column("used_by", ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_invitations_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["runner_id"], ["runners.id"], name=op.f("fk_invitations_runner_id_runners"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["used_by"], ["users.id"], name=op.f("fk_invitations_used_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invitations_token_hash")),
    )
    op.create_index(op.f("ix_invitations_runner_id"), "invitations", ["runner_id"])

    op.create_table(
        "jobs",
        sa.Column("id", ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("runner_id", ID, nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("lease_until", TS, nullable=True),
        sa.Column("worker_id", sa.String(length=200), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("progress", JSON, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("result", JSON, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("started_at", TS, nullable=True),
        sa.Column("finished_at", TS, nullable=True),
        sa.CheckConstraint("kind IN ('analyze', 'load', 'assess')", name=op.f("ck_jobs_kind")),
        sa.CheckConstraint("state IN ('queued', 'running', 'done', 'failed')", name=op.f("ck_jobs_state")),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_jobs_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["runner_id"], ["runners.id"], name=op.f("fk_jobs_runner_id_runners"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    op.create_index("ix_jobs_runner_created", "jobs", ["runner_id", "created_at"])
    op.create_index("ix_jobs_state_created", "jobs", ["state", "created_at"])

    op.create_table(
        "test_results",
        sa.Column("id", ID, nullable=False),
        sa.Column("runner_id", ID, nullable=False),
        sa.Column("data", JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_test_results_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["runner_id"], ["runners.id"], name=op.f("fk_test_results_runner_id_runners"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_test_results")),
    )
    op.create_index("ix_test_results_runner_created", "test_results", ["runner_id", "created_at"])

    op.create_table(
        "uploads",
        sa.Column("id", ID, nullable=False),
        sa.Column("runner_id", ID, nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("original_name", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("storage_path", sa.String(length=300), nullable=False),
        sa.Column("view", sa.String(length=16), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", ID, nullable=True),
        sa.CheckConstraint(
            "kind IN ('video', 'keypoints', 'c3d', 'activities')", name=op.f("ck_uploads_kind")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_uploads_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["runner_id"], ["runners.id"], name=op.f("fk_uploads_runner_id_runners"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_uploads")),
    )
    op.create_index("ix_uploads_runner_created", "uploads", ["runner_id", "created_at"])
    op.create_index(op.f("ix_uploads_sha256"), "uploads", ["sha256"])

    op.create_table(
        "load_reports",
        sa.Column("id", ID, nullable=False),
        sa.Column("runner_id", ID, nullable=False),
        sa.Column("job_id", ID, nullable=True),
        sa.Column("upload_id", ID, nullable=True),
        sa.Column("data", JSON, nullable=False),
        sa.Column("files", JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_load_reports_job_id_jobs"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["runner_id"], ["runners.id"], name=op.f("fk_load_reports_runner_id_runners"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["upload_id"], ["uploads.id"], name=op.f("fk_load_reports_upload_id_uploads"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_load_reports")),
    )
    op.create_index("ix_load_reports_runner_created", "load_reports", ["runner_id", "created_at"])

    op.create_table(
        "assessments",
        sa.Column("id", ID, nullable=False),
        sa.Column("runner_id", ID, nullable=False),
        sa.Column("job_id", ID, nullable=True),
        sa.Column("intake_id", ID, nullable=True),
        sa.Column("test_result_id", ID, nullable=True),
        sa.Column("load_report_id", ID, nullable=True),
        sa.Column("gait_result", JSON, nullable=True),
        sa.Column("load_result", JSON, nullable=True),
        sa.Column("assessment", JSON, nullable=True),
        sa.Column("files", JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["intake_id"], ["intakes.id"], name=op.f("fk_assessments_intake_id_intakes"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_assessments_job_id_jobs"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["load_report_id"],
            ["load_reports.id"],
            name=op.f("fk_assessments_load_report_id_load_reports"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["runner_id"], ["runners.id"], name=op.f("fk_assessments_runner_id_runners"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["test_result_id"],
            ["test_results.id"],
            name=op.f("fk_assessments_test_result_id_test_results"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessments")),
    )
    op.create_index(op.f("ix_assessments_job_id"), "assessments", ["job_id"])
    op.create_index("ix_assessments_runner_created", "assessments", ["runner_id", "created_at"])

    op.create_table(
        "programs",
        sa.Column("id", ID, nullable=False),
        sa.Column("runner_id", ID, nullable=False),
        sa.Column("assessment_id", ID, nullable=True),
        sa.Column("data", JSON, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("edits", JSON, nullable=False),
        sa.Column("files", JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("published_at", TS, nullable=True),
        sa.Column("published_by", ID, nullable=True),
        sa.CheckConstraint("state IN ('draft', 'published')", name=op.f("ck_programs_state")),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_programs_assessment_id_assessments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["published_by"], ["users.id"], name=op.f("fk_programs_published_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["runner_id"], ["runners.id"], name=op.f("fk_programs_runner_id_runners"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programs")),
    )
    op.create_index("ix_programs_runner_created", "programs", ["runner_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_programs_runner_created", table_name="programs")

    op.drop_table("programs")
    op.drop_index("ix_assessments_runner_created", table_name="assessments")
    op.drop_index(op.f("ix_assessments_job_id"), table_name="assessments")

    op.drop_table("assessments")
    op.drop_index("ix_load_reports_runner_created", table_name="load_reports")

    op.drop_table("load_reports")
    op.drop_index(op.f("ix_uploads_sha256"), table_name="uploads")
    op.drop_index("ix_uploads_runner_created", table_name="uploads")

    op.drop_table("uploads")
    op.drop_index("ix_test_results_runner_created", table_name="test_results")

    op.drop_table("test_results")
    op.drop_index("ix_jobs_state_created", table_name="jobs")
    op.drop_index("ix_jobs_runner_created", table_name="jobs")

    op.drop_table("jobs")
    op.drop_index(op.f("ix_invitations_runner_id"), table_name="invitations")

    op.drop_table("invitations")
    op.drop_index("ix_intakes_runner_created", table_name="intakes")

    op.drop_table("intakes")
    op.drop_index(op.f("ix_users_runner_id"), table_name="users")
    op.drop_index(op.f("ix_users_clinic_id"), table_name="users")

    op.drop_table("users")
    op.drop_index(op.f("ix_runners_clinic_id"), table_name="runners")

    op.drop_table("runners")
    op.drop_index("ix_login_attempts_email_at", table_name="login_attempts")

    op.drop_table("login_attempts")
    op.drop_table("clinics")
