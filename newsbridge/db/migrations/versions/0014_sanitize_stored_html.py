"""item_versions: sanitize HTML stored before every HTML field was sanitized at ingest

Revision ID: 0014
Revises: 0013

Until now only an item's main HTML body was sanitized; a secondary body, an HTML description or
headline was stored as the partner sent it, and the JSON outputs (API, changes feed, stream,
webhooks) serve the stored document as it is. This pass runs today's sanitizer over every
HTML value of every stored version, once, so no output can carry old hostile markup. Markup too
complex to sanitize (which ingest now refuses) is emptied. Versions already clean are not written.
"""

from alembic import op
import sqlalchemy as sa

from newsbridge.db.types import Document
from newsbridge.formats.markup import clean_html_fields, safe_html

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

BATCH = 500
versions = sa.table("item_versions", sa.column("id", sa.Integer), sa.column("body_html", sa.Text),
                    sa.column("document", Document))


def upgrade() -> None:
    conn = op.get_bind()
    last = None
    while True:
        query = sa.select(versions.c.id, versions.c.body_html, versions.c.document).order_by(versions.c.id).limit(BATCH)
        if last is not None:
            query = query.where(versions.c.id > last)
        rows = conn.execute(query).all()
        if not rows:
            return
        for row in rows:
            document = row.document if isinstance(row.document, dict) else None
            cleaned = clean_html_fields(document, lambda html, _path: safe_html(html)) if document else document
            body_html = safe_html(row.body_html) or None if row.body_html else row.body_html
            if cleaned != document or body_html != row.body_html:
                conn.execute(versions.update().where(versions.c.id == row.id)
                             .values(document=cleaned, body_html=body_html))
        last = rows[-1].id


def downgrade() -> None:
    pass  # the hostile markup is gone for good, as it should be
