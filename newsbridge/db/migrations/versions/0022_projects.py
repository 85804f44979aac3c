"""joint projects: projects, their organizations, deliverables, draft revisions, comments, approvals,
publications and events

Revision ID: 0022
Revises: 0021

A project belongs to an agreement or to organizations that all accepted it (``projects``,
``project_members`` with participants and observers); its plan is ``deliverables`` with their
status machine (projects/deliverables.py); every save of a draft is a row of ``draft_revisions``;
``draft_comments`` are threaded and resolvable; ``deliverable_approvals`` holds one approval per
participating organization (deleted when the draft changes); ``project_publications`` the items
a published deliverable became; ``project_events`` what happened, for the API and webhooks;
``outbox.project_event_id``: a webhook message telling of a project event (delivery_id is NULL).
"""

from alembic import op
import sqlalchemy as sa

from newsbridge.db.types import Document, UTCDateTime

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"))


def upgrade() -> None:
    op.create_table(
        "projects",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("agreement_id", sa.String(length=32), nullable=True),
        sa.Column("lead_id", sa.String(length=32), nullable=False),
        sa.Column("starts", sa.Date(), nullable=True),
        sa.Column("ends", sa.Date(), nullable=True),
        sa.Column("languages", Document, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("share_with_partners", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("status IN ('pending', 'active')", name=op.f("ck_projects_status")),
        _fk("projects", "agreement_id", "agreements"),
        _fk("projects", "lead_id", "organizations"),
        _fk("projects", "created_by", "organizations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
    )
    op.create_index(op.f("ix_projects_agreement_id"), "projects", ["agreement_id"], unique=False)
    op.create_table(
        "project_members",
        sa.Column("project_id", sa.String(length=32), nullable=False),
        sa.Column("organization_id", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("accepted_at", UTCDateTime(), nullable=True),
        sa.Column("invited_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("role IN ('participant', 'observer')", name=op.f("ck_project_members_role")),
        _fk("project_members", "project_id", "projects"),
        _fk("project_members", "organization_id", "organizations"),
        sa.PrimaryKeyConstraint("project_id", "organization_id", name=op.f("pk_project_members")),
    )
    op.create_index(op.f("ix_project_members_organization_id"), "project_members", ["organization_id"], unique=False)
    op.create_table(
        "deliverables",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("assignee_id", sa.String(length=32), nullable=True),
        sa.Column("assignee_member_id", sa.String(length=32), nullable=True),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("languages", Document, nullable=False),
        sa.Column("source_language", sa.String(length=35), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("status IN ('idea', 'assigned', 'in_progress', 'in_review', 'approved', 'published', "
                           "'dropped')", name=op.f("ck_deliverables_status")),
        _fk("deliverables", "project_id", "projects"),
        _fk("deliverables", "assignee_id", "organizations"),
        _fk("deliverables", "assignee_member_id", "members"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliverables")),
    )
    op.create_index(op.f("ix_deliverables_project_id"), "deliverables", ["project_id"], unique=False)
    op.create_table(
        "draft_revisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("deliverable_id", sa.String(length=32), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("headline", sa.Text(), nullable=False),
        sa.Column("lead", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("shot_list", Document, nullable=False),
        sa.Column("media", Document, nullable=False),
        sa.Column("source_revision", sa.Integer(), nullable=True),
        sa.Column("organization_id", sa.String(length=32), nullable=False),
        sa.Column("member_id", sa.String(length=32), nullable=True),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        _fk("draft_revisions", "deliverable_id", "deliverables"),
        _fk("draft_revisions", "organization_id", "organizations"),
        _fk("draft_revisions", "member_id", "members"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_draft_revisions")),
        sa.UniqueConstraint("deliverable_id", "language", "number",
                            name=op.f("uq_draft_revisions_deliverable_id_language_number")),
    )
    op.create_table(
        "draft_comments",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("deliverable_id", sa.String(length=32), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.String(length=32), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("mentions", Document, nullable=False),
        sa.Column("organization_id", sa.String(length=32), nullable=False),
        sa.Column("member_id", sa.String(length=32), nullable=True),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.Column("resolved_by", sa.String(length=200), nullable=True),
        _fk("draft_comments", "deliverable_id", "deliverables"),
        _fk("draft_comments", "parent_id", "draft_comments"),
        _fk("draft_comments", "organization_id", "organizations"),
        _fk("draft_comments", "member_id", "members"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_draft_comments")),
    )
    op.create_index(op.f("ix_draft_comments_deliverable_id"), "draft_comments", ["deliverable_id"], unique=False)
    op.create_table(
        "deliverable_approvals",
        sa.Column("deliverable_id", sa.String(length=32), nullable=False),
        sa.Column("organization_id", sa.String(length=32), nullable=False),
        sa.Column("member_id", sa.String(length=32), nullable=False),
        sa.Column("revisions", Document, nullable=False),
        sa.Column("approved_at", UTCDateTime(), nullable=False),
        _fk("deliverable_approvals", "deliverable_id", "deliverables"),
        _fk("deliverable_approvals", "organization_id", "organizations"),
        _fk("deliverable_approvals", "member_id", "members"),
        sa.PrimaryKeyConstraint("deliverable_id", "organization_id", name=op.f("pk_deliverable_approvals")),
    )
    op.create_table(
        "project_publications",
        sa.Column("deliverable_id", sa.String(length=32), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=False),
        sa.Column("item_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=False),
        _fk("project_publications", "deliverable_id", "deliverables"),
        _fk("project_publications", "item_id", "items"),
        sa.PrimaryKeyConstraint("deliverable_id", "language", name=op.f("pk_project_publications")),
    )
    op.create_table(
        "project_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.String(length=32), nullable=False),
        sa.Column("deliverable_id", sa.String(length=32), nullable=True),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("data", Document, nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        _fk("project_events", "project_id", "projects"),
        _fk("project_events", "deliverable_id", "deliverables"),
        _fk("project_events", "organization_id", "organizations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_events")),
    )
    op.create_index("ix_project_events_project_id_id", "project_events", ["project_id", "id"], unique=False)
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("project_event_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_outbox_project_event_id_project_events"), "project_events",
                                    ["project_event_id"], ["id"])
        batch_op.create_unique_constraint(batch_op.f("uq_outbox_project_event_id_endpoint_id"),
                                          ["project_event_id", "endpoint_id"])


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_outbox_project_event_id_endpoint_id"), type_="unique")
        batch_op.drop_constraint(batch_op.f("fk_outbox_project_event_id_project_events"), type_="foreignkey")
        batch_op.drop_column("project_event_id")
    op.drop_index("ix_project_events_project_id_id", table_name="project_events")
    op.drop_table("project_events")
    op.drop_table("project_publications")
    op.drop_table("deliverable_approvals")
    op.drop_index(op.f("ix_draft_comments_deliverable_id"), table_name="draft_comments")
    op.drop_table("draft_comments")
    op.drop_table("draft_revisions")
    op.drop_index(op.f("ix_deliverables_project_id"), table_name="deliverables")
    op.drop_table("deliverables")
    op.drop_index(op.f("ix_project_members_organization_id"), table_name="project_members")
    op.drop_table("project_members")
    op.drop_index(op.f("ix_projects_agreement_id"), table_name="projects")
    op.drop_table("projects")
