"""project reads: per member and project, the newest project event the desk showed them

Revision ID: 0023
Revises: 0022

The desk's navigation marks the joint-project notifications a member has not seen (assignment,
comment, mention, approval requested or given, publication): ``project_reads.seen_event_id`` is
the newest ``project_events.id`` of the project the member opened; later events count as unread.
"""

from alembic import op
import sqlalchemy as sa

from newsbridge.db.types import UTCDateTime

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "project_reads",
        sa.Column("member_id", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.String(length=32), nullable=False),
        sa.Column("seen_event_id", sa.Integer(), nullable=False),
        sa.Column("seen_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_project_reads_member_id_members")),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f("fk_project_reads_project_id_projects")),
        sa.PrimaryKeyConstraint("member_id", "project_id", name=op.f("pk_project_reads")),
    )


def downgrade() -> None:
    op.drop_table("project_reads")
