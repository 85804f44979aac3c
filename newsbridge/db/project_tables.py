"""The joint-project tables (newsbridge/projects), on the one ``metadata`` of ``db/tables.py``.

A module of their own because ``tables.py`` is at its size limit; ``tables.py`` imports this
module at its end, so every table is known wherever ``metadata`` is. Migration 0022 creates them
(0025 adds what corrections need).
"""

from __future__ import annotations

import sqlalchemy as sa

from newsbridge.db.tables import metadata
from newsbridge.db.types import Document, UTCDateTime

projects = sa.Table(
    "projects",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("title", sa.String(500), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    # the agreement the project belongs to; NULL: created by organizations that all accepted it
    sa.Column("agreement_id", sa.String(32), sa.ForeignKey("agreements.id"), nullable=True, index=True),
    sa.Column("lead_id", sa.String(32), sa.ForeignKey("organizations.id"), nullable=False),
    sa.Column("starts", sa.Date, nullable=True),
    sa.Column("ends", sa.Date, nullable=True),
    sa.Column("languages", Document, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    # published deliverables also go to each participant's other partners under their agreements
    sa.Column("share_with_partners", sa.Boolean, nullable=False),
    sa.Column("created_by", sa.String(32), sa.ForeignKey("organizations.id"), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.CheckConstraint("status IN ('pending', 'active')", name="status"),
)

project_members = sa.Table(  # the organizations of a project: participants (one of them the lead) and observers
    "project_members",
    metadata,
    sa.Column("project_id", sa.String(32), sa.ForeignKey("projects.id"), primary_key=True),
    sa.Column("organization_id", sa.String(32), sa.ForeignKey("organizations.id"), primary_key=True, index=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("accepted_at", UTCDateTime, nullable=True),  # NULL: invited, not accepted yet
    sa.Column("invited_at", UTCDateTime, nullable=False),
    sa.CheckConstraint("role IN ('participant', 'observer')", name="role"),
)

deliverables = sa.Table(
    "deliverables",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("project_id", sa.String(32), sa.ForeignKey("projects.id"), nullable=False, index=True),
    sa.Column("title", sa.String(500), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("assignee_id", sa.String(32), sa.ForeignKey("organizations.id"), nullable=True),
    sa.Column("assignee_member_id", sa.String(32), sa.ForeignKey("members.id"), nullable=True),
    sa.Column("due", sa.Date, nullable=True),
    sa.Column("languages", Document, nullable=False),
    sa.Column("source_language", sa.String(35), nullable=False),  # translations are made from its draft
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.CheckConstraint("status IN ('idea', 'assigned', 'in_progress', 'in_review', 'approved', 'published', "
                       "'dropped')", name="status"),
)

draft_revisions = sa.Table(  # every save of a deliverable's draft in one language; the newest is the draft
    "draft_revisions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("deliverable_id", sa.String(32), sa.ForeignKey("deliverables.id"), nullable=False),
    sa.Column("language", sa.String(35), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("headline", sa.Text, nullable=False),
    sa.Column("lead", sa.Text, nullable=False),
    sa.Column("body_html", sa.Text, nullable=False),  # sanitized (formats/markup.py)
    sa.Column("shot_list", Document, nullable=False),
    sa.Column("media", Document, nullable=False),  # ninjs renditions naming hub media (urn:newsbridge:media:...)
    # a translation: the source-language revision it was made from
    sa.Column("source_revision", sa.Integer, nullable=True),
    sa.Column("organization_id", sa.String(32), sa.ForeignKey("organizations.id"), nullable=False),
    sa.Column("member_id", sa.String(32), sa.ForeignKey("members.id"), nullable=True),
    sa.Column("author", sa.String(200), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("deliverable_id", "language", "number"),
)

draft_comments = sa.Table(
    "draft_comments",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("deliverable_id", sa.String(32), sa.ForeignKey("deliverables.id"), nullable=False, index=True),
    sa.Column("language", sa.String(35), nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("parent_id", sa.String(32), sa.ForeignKey("draft_comments.id"), nullable=True),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("mentions", Document, nullable=False),  # member ids named with @
    sa.Column("organization_id", sa.String(32), sa.ForeignKey("organizations.id"), nullable=False),
    sa.Column("member_id", sa.String(32), sa.ForeignKey("members.id"), nullable=True),
    sa.Column("author", sa.String(200), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("resolved_at", UTCDateTime, nullable=True),
    sa.Column("resolved_by", sa.String(200), nullable=True),
)

deliverable_approvals = sa.Table(
    "deliverable_approvals",
    metadata,
    sa.Column("deliverable_id", sa.String(32), sa.ForeignKey("deliverables.id"), primary_key=True),
    sa.Column("organization_id", sa.String(32), sa.ForeignKey("organizations.id"), primary_key=True),
    sa.Column("member_id", sa.String(32), sa.ForeignKey("members.id"), nullable=False),
    sa.Column("revisions", Document, nullable=False),  # {language: revision number} the approval was given on
    sa.Column("approved_at", UTCDateTime, nullable=False),
)

project_publications = sa.Table(  # the item each language of a published deliverable became
    "project_publications",
    metadata,
    sa.Column("deliverable_id", sa.String(32), sa.ForeignKey("deliverables.id"), primary_key=True),
    sa.Column("language", sa.String(35), primary_key=True),
    sa.Column("item_id", sa.String(32), sa.ForeignKey("items.id"), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),  # the item's newest version (a correction adds one)
    sa.Column("published_at", UTCDateTime, nullable=False),  # the first publication
    sa.Column("revision", sa.Integer, nullable=True),  # the draft revision the newest version was made from
    sa.Column("corrected_at", UTCDateTime, nullable=True),  # when a correction last made a new version
)

project_events = sa.Table(  # notifications: the project's activity, read by the API and sent to webhooks
    "project_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("project_id", sa.String(32), sa.ForeignKey("projects.id"), nullable=False),
    sa.Column("deliverable_id", sa.String(32), sa.ForeignKey("deliverables.id"), nullable=True),
    sa.Column("type", sa.String(40), nullable=False),  # project.assigned, project.comment, ...
    sa.Column("organization_id", sa.String(32), sa.ForeignKey("organizations.id"), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("data", Document, nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Index("ix_project_events_project_id_id", "project_id", "id"),
)

project_reads = sa.Table(  # per member: the newest project event the desk showed them (unread markers)
    "project_reads",
    metadata,
    sa.Column("member_id", sa.String(32), sa.ForeignKey("members.id"), primary_key=True),
    sa.Column("project_id", sa.String(32), sa.ForeignKey("projects.id"), primary_key=True),
    sa.Column("seen_event_id", sa.Integer, nullable=False),  # project_events.id; later ones are unread
    sa.Column("seen_at", UTCDateTime, nullable=False),
)
