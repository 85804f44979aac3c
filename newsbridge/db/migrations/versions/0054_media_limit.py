"""media_limit: the hub operator may give an organization a media file size limit of its own

Revision ID: 0054
Revises: 0053

``organizations.max_media_bytes``: the largest media file the organization may upload (tus, multipart,
a fetched rendition). None: the hub's ``NEWSBRIDGE_MAX_MEDIA_BYTES`` (20 GiB unless set). Set in the operator
console or with ``newsbridge org media-limit`` (accounts/media_limit.py).
"""

from alembic import op
import sqlalchemy as sa

revision = "0054"
down_revision = "0053"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("organizations", sa.Column("max_media_bytes", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("organizations") as batch:
        batch.drop_column("max_media_bytes")
