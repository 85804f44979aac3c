"""jobs: background work in the database (media derivatives), claimed, leased, retried

Revision ID: 0017
Revises: 0016

Like the delivery outbox: a worker claims a due job (SKIP LOCKED on PostgreSQL, the write lock
on SQLite) with a lease; a worker that dies leaves its lease to expire and another takes the
job over. Failures wait a capped, growing back-off; after max_attempts the job is dead.
``key`` keeps one job per thing (a media file's derivatives).
"""

from alembic import op
import sqlalchemy as sa

from newsbridge.db.types import Document, UTCDateTime

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=True),
        sa.Column("payload", Document, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("result", Document, nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint("state IN ('queued', 'running', 'done', 'failed', 'dead')", name=op.f("ck_jobs_state")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.UniqueConstraint("key", name=op.f("uq_jobs_key")),
    )
    op.create_index("ix_jobs_state_next_attempt_at", "jobs", ["state", "next_attempt_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_jobs_state_next_attempt_at", table_name="jobs")
    op.drop_table("jobs")
