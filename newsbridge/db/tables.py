"""The tables, in SQLAlchemy Core. Migrations in ``db/migrations`` must agree (a test checks)."""

from __future__ import annotations

import sqlalchemy as sa

from newsbridge.db.types import Document, UTCDateTime

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

organizations = sa.Table(
    "organizations",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("slug", sa.String(64), nullable=False, unique=True),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("parent_id", sa.String(32), sa.ForeignKey("organizations.id"), nullable=True, index=True),
    sa.Column("country", sa.String(2), nullable=True),
    sa.Column("languages", Document, nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("credit_name", sa.String(300), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    # migration 0054: the operator's media file size limit for it; None: NEWSBRIDGE_MAX_MEDIA_BYTES
    sa.Column("max_media_bytes", sa.BigInteger, nullable=True),
)

members = sa.Table(
    "members",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("organization_id", sa.String(32), sa.ForeignKey("organizations.id"), nullable=False, index=True),
    sa.Column("email", sa.String(320), nullable=False, unique=True),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("locale", sa.String(8), nullable=False, server_default="en"),
    sa.Column("timezone", sa.String(64), nullable=True),  # none: the organization's
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("deactivated_at", UTCDateTime, nullable=True),  # migration 0032: no sign-in, no session
    sa.CheckConstraint("role IN ('admin', 'editor', 'viewer')", name="role"),
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("member_id", sa.String(32), sa.ForeignKey("members.id"), nullable=False, index=True),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("user_agent", sa.String(300), nullable=True),  # migration 0034: "where you are signed in"
    sa.Column("address", sa.String(100), nullable=True),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),  # the public part of the key: nb_<id>_<secret>
    sa.Column("organization_id", sa.String(32), sa.ForeignKey("organizations.id"), nullable=False, index=True),
    sa.Column("secret_hash", sa.String(64), nullable=False),
    sa.Column("scopes", sa.String(200), nullable=False),
    sa.Column("label", sa.String(200), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("revoked_at", UTCDateTime, nullable=True),
    sa.Column("expires_at", UTCDateTime, nullable=True),  # migration 0030: none = until revoked
    sa.Column("allowed_ips", sa.String(1000), nullable=True),  # comma-separated CIDRs; none = anywhere
    sa.Column("last_used_at", UTCDateTime, nullable=True),  # written at most once a minute
)

items = sa.Table(
    "items",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("organization_id", sa.String(32), sa.ForeignKey("organizations.id"), nullable=False),
    sa.Column("uri", sa.String(1000), nullable=False),
    sa.Column("latest_version", sa.Integer, nullable=False),
    sa.Column("pubstatus", sa.String(16), nullable=False),
    sa.Column("headline", sa.Text, nullable=True),
    sa.Column("language", sa.String(35), nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("organization_id", "uri"),
    sa.Index("ix_items_organization_id_updated_at", "organization_id", "updated_at"),
)

item_versions = sa.Table(
    "item_versions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("item_id", sa.String(32), sa.ForeignKey("items.id"), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("pubstatus", sa.String(16), nullable=False),
    sa.Column("language", sa.String(35), nullable=True),
    sa.Column("language_source", sa.String(16), nullable=False),
    sa.Column("language_confidence", sa.Float, nullable=True),
    sa.Column("headline", sa.Text, nullable=True),
    sa.Column("body_text", sa.Text, nullable=True),
    sa.Column("body_html", sa.Text, nullable=True),
    sa.Column("search_stems", sa.Text, nullable=True),  # stems of headline and text (migration 0026)
    sa.Column("firstcreated", UTCDateTime, nullable=True),
    sa.Column("versioncreated", UTCDateTime, nullable=True),
    sa.Column("embargoed", UTCDateTime, nullable=True),
    sa.Column("document", Document, nullable=False),
    sa.Column("received_at", UTCDateTime, nullable=False),
    sa.Column("ingest_warnings", Document, nullable=True),  # what the reader assumed (formats.item.IngestWarning)
    sa.UniqueConstraint("item_id", "version"),
    sa.CheckConstraint("pubstatus IN ('usable', 'withheld', 'canceled')", name="pubstatus"),
    sa.CheckConstraint("language_source IN ('declared', 'detected', 'unknown')", name="language_source"),
)

agreements = sa.Table(
    "agreements",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("valid_from", sa.Date, nullable=True),
    sa.Column("valid_until", sa.Date, nullable=True),
    sa.Column("terms", Document, nullable=False),  # list of per-direction terms, see exchange/agreements.py
    sa.Column("terms_revision", sa.Integer, nullable=False),  # +1 on every amendment; signatures are per revision
    sa.Column("created_by", sa.String(32), sa.ForeignKey("organizations.id"), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("targets", Document, nullable=True),  # pace targets the parties agreed (exchange/terms.py); NULL: defaults
    sa.CheckConstraint("status IN ('draft', 'proposed', 'active', 'suspended', 'ended')", name="status"),
)

agreement_parties = sa.Table(
    "agreement_parties",
    metadata,
    sa.Column("agreement_id", sa.String(32), sa.ForeignKey("agreements.id"), primary_key=True),
    sa.Column("organization_id", sa.String(32), sa.ForeignKey("organizations.id"), primary_key=True, index=True),
    sa.Column("signed_revision", sa.Integer, nullable=True),  # the terms revision this party signed
    sa.Column("signed_at", UTCDateTime, nullable=True),
    sa.Column("signed_by", sa.String(200), nullable=True),
)

agreement_events = sa.Table(
    "agreement_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("agreement_id", sa.String(32), sa.ForeignKey("agreements.id"), nullable=False, index=True),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("organization_id", sa.String(32), sa.ForeignKey("organizations.id"), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("from_status", sa.String(16), nullable=True),
    sa.Column("to_status", sa.String(16), nullable=False),
    sa.Column("details", Document, nullable=True),
    sa.Column("at", UTCDateTime, nullable=False),
)

commitments = sa.Table(
    "commitments",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("agreement_id", sa.String(32), sa.ForeignKey("agreements.id"), nullable=False, index=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("title", sa.String(500), nullable=False),
    sa.Column("owner_id", sa.String(32), sa.ForeignKey("organizations.id"), nullable=True),
    sa.Column("due", sa.Date, nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("notes", sa.Text, nullable=False),
    sa.Column("evidence", Document, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("indicator", Document, nullable=True),  # what the hub measures (metrics/indicators.py); NULL: by hand
    sa.Column("measure", Document, nullable=True),  # the last measurement: state, value, target, evidence
    sa.Column("measured_at", UTCDateTime, nullable=True),
    sa.CheckConstraint("status IN ('planned', 'in_progress', 'done', 'blocked', 'dropped')", name="status"),
)

deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("item_id", sa.String(32), sa.ForeignKey("items.id"), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("recipient_id", sa.String(32), sa.ForeignKey("organizations.id"), nullable=False),
    sa.Column("agreement_id", sa.String(32), sa.ForeignKey("agreements.id"), nullable=True),  # NULL: joint project
    sa.Column("project_id", sa.String(32), sa.ForeignKey("projects.id"), nullable=True),  # migration 0025
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("credit_line", sa.Text, nullable=False),
    sa.Column("usage_terms", sa.Text, nullable=False),
    sa.Column("available_from", UTCDateTime, nullable=False),
    sa.Column("event", sa.String(32), nullable=False),  # item.published | item.updated | item.withdrawn
    sa.Column("position", sa.BigInteger, nullable=True, unique=True),  # feed order, set once available
    sa.Column("created_at", UTCDateTime, nullable=False),
    # when it enters the recipient's inbox: max(created_at, available_from); always written by routing
    sa.Column("arrives_at", UTCDateTime, nullable=True),
    sa.UniqueConstraint("item_id", "version", "recipient_id"),
    sa.Index("ix_deliveries_recipient_id_available_from", "recipient_id", "available_from"),
    sa.Index("ix_deliveries_recipient_id_position", "recipient_id", "position"),
    sa.Index("ix_deliveries_item_id_recipient_id_position", "item_id", "recipient_id", "position"),
    sa.Index("ix_deliveries_recipient_id_arrives_at_id", "recipient_id", "arrives_at", "id"),
    sa.Index("ix_deliveries_agreement_id_arrives_at", "agreement_id", "arrives_at",  # metrics
             postgresql_include=["id"]),  # failed deliveries: an index-only walk (SQLite's rowid is in it)
    sa.Index("ix_deliveries_unsequenced", "available_from", sqlite_where=sa.text("position IS NULL"),
             postgresql_where=sa.text("position IS NULL")),
)

endpoints = sa.Table(
    "endpoints",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("organization_id", sa.String(32), sa.ForeignKey("organizations.id"), nullable=False, index=True),
    sa.Column("url", sa.String(2000), nullable=False),
    sa.Column("events", Document, nullable=False),
    sa.Column("ninjs_version", sa.String(1), nullable=False),
    # what the endpoint is sent: ninjs3, ninjs2 or ninjs1-superdesk (delivery/endpoints.py FORMATS)
    sa.Column("format", sa.String(20), nullable=False, server_default="ninjs3"),
    sa.Column("secret", sa.String(100), nullable=False),
    sa.Column("previous_secret", sa.String(100), nullable=True),
    sa.Column("previous_secret_until", UTCDateTime, nullable=True),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("disabled_reason", sa.Text, nullable=True),
    sa.Column("failing_since", UTCDateTime, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    # a 429/503 with Retry-After: no message to the endpoint before this (delivery/outbox.py)
    sa.Column("paused_until", UTCDateTime, nullable=True),
)

feed_tokens = sa.Table(
    "feed_tokens",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("organization_id", sa.String(32), sa.ForeignKey("organizations.id"), nullable=False, index=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("label", sa.String(200), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("revoked_at", UTCDateTime, nullable=True),
    # the API key that minted the token (it dies with the key); none when minted on the desk
    sa.Column("api_key_id", sa.String(32), sa.ForeignKey("api_keys.id"), nullable=True, index=True),
    # the format each entry's item link serves (delivery/feeds.py TOKEN_FORMATS)
    sa.Column("format", sa.String(20), nullable=False, server_default="ninjs3"),
)

sources = sa.Table(
    "sources",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("organization_id", sa.String(32), sa.ForeignKey("organizations.id"), nullable=False, index=True),
    sa.Column("url", sa.String(2000), nullable=False),
    sa.Column("interval_seconds", sa.Integer, nullable=False),
    sa.Column("language", sa.String(35), nullable=True),
    sa.Column("subjects", Document, nullable=False),  # Media Topic qcodes added to every entry
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("etag", sa.String(500), nullable=True),
    sa.Column("last_modified", sa.String(100), nullable=True),
    sa.Column("next_poll_at", UTCDateTime, nullable=False),
    sa.Column("failures", sa.Integer, nullable=False),  # consecutive, for the back-off
    sa.Column("created_at", UTCDateTime, nullable=False),
    # refuse documents a reader would accept only with warnings
    sa.Column("strict", sa.Boolean, nullable=False, server_default=sa.false()),
    # download the media its items name by URL and serve the hub's copy (media/fetch.py)
    sa.Column("fetch_media", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.UniqueConstraint("organization_id", "url"),
    sa.Index("ix_sources_enabled_next_poll_at", "enabled", "next_poll_at"),
)

source_polls = sa.Table(
    "source_polls",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source_id", sa.String(32), sa.ForeignKey("sources.id"), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),  # ok | not_modified | error
    sa.Column("http_status", sa.Integer, nullable=True),
    sa.Column("stored", sa.Integer, nullable=False),
    sa.Column("unchanged", sa.Integer, nullable=False),
    sa.Column("rejected", sa.Integer, nullable=False),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("duration_ms", sa.Integer, nullable=False),
    sa.Index("ix_source_polls_source_id_at", "source_id", "at"),
)

pickups = sa.Table(
    "pickups",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("item_id", sa.String(32), sa.ForeignKey("items.id"), nullable=False, index=True),
    sa.Column("organization_id", sa.String(32), sa.ForeignKey("organizations.id"), nullable=False, index=True),
    sa.Column("member_id", sa.String(32), sa.ForeignKey("members.id"), nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("url", sa.String(2000), nullable=True),  # where it was republished
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    # declared on the desk or by API; detected: the hub found a partner's item republishing it
    sa.Column("kind", sa.String(16), nullable=False, server_default="declared"),
    sa.Column("evidence_item_id", sa.String(32), nullable=True),  # detected: the republishing item
    sa.Column("score", sa.Float, nullable=True),  # detected: confidence 0-1 (migration 0037)
    sa.Column("evidence", Document, nullable=True),  # detected: method and signals (stories/pickups.py)
    # detected: either side's decision (migration 0040; stories/pickups_review.py), NULL until one decides;
    # a dismissed pickup stays listed and is never counted (COUNTED_PICKUP)
    sa.Column("decision", sa.String(16), nullable=True),
    sa.Column("decided_by", sa.String(320), nullable=True),  # a member's e-mail or "key nb_..."
    sa.Column("decided_org_id", sa.String(32), sa.ForeignKey("organizations.id"), nullable=True),
    sa.Column("decided_at", UTCDateTime, nullable=True),
    sa.CheckConstraint("kind IN ('declared', 'detected')", name="kind"),
    sa.CheckConstraint("decision IS NULL OR decision IN ('confirmed', 'dismissed')", name="decision"),
    sa.Index("ix_pickups_at", "at"),  # metrics: the pickups of a window
    sa.Index("ix_pickups_evidence_item_id", "evidence_item_id"),  # the republishing item's page
)

# The pickups the metrics count: declared ones and detected ones not dismissed by either side.
COUNTED_PICKUP = pickups.c.decision.is_distinct_from("dismissed")

item_reads = sa.Table(
    "item_reads",
    metadata,
    sa.Column("member_id", sa.String(32), sa.ForeignKey("members.id"), primary_key=True),
    sa.Column("item_id", sa.String(32), sa.ForeignKey("items.id"), primary_key=True),
    sa.Column("at", UTCDateTime, nullable=False),
    # the newest version the member has read: a later one shows as "Updated" and unread (always written)
    sa.Column("version", sa.Integer, nullable=True),
)

version_topics = sa.Table(  # the Media Topics of each version, with all their broader topics (desk filter)
    "version_topics",
    metadata,
    sa.Column("item_id", sa.String(32), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("qcode", sa.String(40), primary_key=True),
    sa.ForeignKeyConstraint(["item_id", "version"], ["item_versions.item_id", "item_versions.version"]),
    sa.Index("ix_version_topics_qcode_item_id", "qcode", "item_id"),
)

# Alerts are computed from the tables above (alerts/feed.py); only what each member did with one
# (read, dismissed: keyed by the alert's stable key), what they want alerts about, and their
# saved desk searches are stored.
alert_marks = sa.Table(
    "alert_marks",
    metadata,
    sa.Column("member_id", sa.String(32), sa.ForeignKey("members.id"), primary_key=True),
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("read_at", UTCDateTime, nullable=True),
    sa.Column("dismissed_at", UTCDateTime, nullable=True),
)

alert_settings = sa.Table(
    "alert_settings",
    metadata,
    sa.Column("member_id", sa.String(32), sa.ForeignKey("members.id"), primary_key=True),
    sa.Column("kinds", Document, nullable=False),  # alert kinds the member wants (alerts/settings.py KINDS)
    sa.Column("partners", Document, nullable=False),  # organization slugs; empty: every partner
    sa.Column("topics", Document, nullable=False),  # Media Topic qcodes (narrower ones count); empty: all
    sa.Column("digest", sa.Boolean, nullable=False),  # e-mail digests of unread alerts
    sa.Column("last_digest_at", UTCDateTime, nullable=True),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

saved_searches = sa.Table(
    "saved_searches",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("member_id", sa.String(32), sa.ForeignKey("members.id"), nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("query", Document, nullable=False),  # the desk's filters: q, partner, topic, language
    sa.Column("alerts", sa.Boolean, nullable=False),  # new matching arrivals raise an alert
    sa.Column("created_at", UTCDateTime, nullable=False),
)

# Media (newsbridge/media): a file an organization uploaded, kept in the blob store by SHA-256.
# Its renditions (the original, and the previews and proxies derived from it) each name a blob;
# item_media says which of the organization's items (by uri, known before the item is stored)
# carry the media, so serving a rendition can ask whether the reader may see such an item.
media = sa.Table(
    "media",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("organization_id", sa.String(32), sa.ForeignKey("organizations.id"), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("content_type", sa.String(100), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("filename", sa.String(300), nullable=True),
    sa.Column("kind", sa.String(16), nullable=False),  # picture, video, audio, graphic
    sa.Column("width", sa.Integer, nullable=True),
    sa.Column("height", sa.Integer, nullable=True),
    sa.Column("duration", sa.Float, nullable=True),
    sa.Column("codecs", sa.String(200), nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("c2pa", Document, nullable=True),  # C2PA content credentials read and validated (media/provenance.py)
    sa.Column("origin_url", sa.String(2000), nullable=True),  # fetched from this URL (media/fetch.py)
    # whether the hub looked for GPS in the original and found it: NULL not yet, 'none', 'found' (media/links.py)
    sa.Column("gps", sa.String(8), nullable=True),
    sa.Index("ix_media_organization_id_sha256", "organization_id", "sha256"),
    sa.Index("ix_media_organization_id_origin_url", "organization_id", "origin_url"),
    sa.CheckConstraint("status IN ('uploaded', 'probed', 'ready', 'rejected')", name="status"),
)

renditions = sa.Table(
    "renditions",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("media_id", sa.String(32), sa.ForeignKey("media.id"), nullable=False),
    sa.Column("name", sa.String(32), nullable=False),  # original, preview, thumbnail, proxy...
    sa.Column("sha256", sa.String(64), nullable=False, index=True),
    sa.Column("content_type", sa.String(100), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("width", sa.Integer, nullable=True),
    sa.Column("height", sa.Integer, nullable=True),
    sa.Column("duration", sa.Float, nullable=True),
    sa.Column("frame_rate", sa.Float, nullable=True),  # video: frames a second (migration 0043)
    sa.Column("video_codec", sa.String(40), nullable=True),  # as ffprobe names it: h264, hevc, vp9...
    sa.Column("audio_codec", sa.String(40), nullable=True),  # aac, mp3, opus...
    sa.Column("audio_channels", sa.Integer, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("media_id", "name"),
)

item_media = sa.Table(
    "item_media",
    metadata,
    sa.Column("organization_id", sa.String(32), sa.ForeignKey("organizations.id"), primary_key=True),
    sa.Column("item_uri", sa.String(1000), primary_key=True),
    sa.Column("media_id", sa.String(32), sa.ForeignKey("media.id"), primary_key=True, index=True),
)

# tus uploads being assembled (newsbridge/media/uploads.py); the bytes wait in a local file until
# the last one arrives, then move into the blob store and become a media row.
uploads = sa.Table(
    "uploads",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("organization_id", sa.String(32), sa.ForeignKey("organizations.id"), nullable=False, index=True),
    sa.Column("length", sa.BigInteger, nullable=False),
    sa.Column("received", sa.BigInteger, nullable=False),  # the tus Upload-Offset
    sa.Column("filename", sa.String(300), nullable=True),
    sa.Column("content_type", sa.String(100), nullable=True),
    sa.Column("meta", Document, nullable=False),  # the tus Upload-Metadata, decoded
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=True, index=True),  # none once finished
    sa.Column("media_id", sa.String(32), sa.ForeignKey("media.id"), nullable=True),
)

# Secrets the hub makes for itself when the operator sets none (the media URL signing key), shared
# by every hub process through the database.
hub_secrets = sa.Table(
    "hub_secrets",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(200), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

jobs = sa.Table(  # background work (media derivatives...): claimed with a lease, retried with back-off (media/jobs.py)
    "jobs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(40), nullable=False),  # which handler runs it: "media.derivatives"
    sa.Column("key", sa.String(200), nullable=True, unique=True),  # one live job per thing ("media:<id>")
    sa.Column("payload", Document, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("max_attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", UTCDateTime, nullable=False),
    sa.Column("lease_owner", sa.String(64), nullable=True),
    sa.Column("lease_until", UTCDateTime, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("result", Document, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("finished_at", UTCDateTime, nullable=True),
    sa.Index("ix_jobs_state_next_attempt_at", "state", "next_attempt_at"),
    sa.CheckConstraint("state IN ('queued', 'running', 'done', 'failed', 'dead')", name="state"),
)

# The tables of later parts live in modules of their own (this one is at its size limit); importing them here
# puts every table on ``metadata`` wherever it is used: rollups, projects, media fetches and pushes, rate limits,
# the audit log, invitations, stories, sign-in security, operators, single sign-on, translations.
from newsbridge.db import (audit_tables, invitation_tables, limit_tables, media_push_tables,  # noqa: E402,F401
                           media_tables, operator_tables, project_tables, rollup_tables, signin_tables, sso_tables,
                           story_tables, translation_tables)
from newsbridge.db.outbox_tables import OUTBOX_UNFINISHED, outbox  # noqa: E402,F401  (the webhook messages)
