"""renditions: frame rate, codecs and audio channels

Revision ID: 0043
Revises: 0042

The probe of an original and of each video or audio derivative found its frame rate, its video and
audio codecs and its audio channels, and the hub kept only the codecs, joined, on the media row.
Each rendition now keeps its own (ninjs 3.x ``frameRate`` and ``videoCodec``, NewsML-G2
``videoframerate``, ``hub.media[].channels``). Renditions made before stay without them.
"""

from alembic import op
import sqlalchemy as sa

revision = "0043"
down_revision = "0042"
branch_labels = None
depends_on = None

COLUMNS = ("frame_rate", "video_codec", "audio_codec", "audio_channels")


def upgrade() -> None:
    with op.batch_alter_table("renditions") as batch:
        batch.add_column(sa.Column("frame_rate", sa.Float, nullable=True))
        batch.add_column(sa.Column("video_codec", sa.String(40), nullable=True))
        batch.add_column(sa.Column("audio_codec", sa.String(40), nullable=True))
        batch.add_column(sa.Column("audio_channels", sa.Integer, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("renditions") as batch:
        for column in COLUMNS:
            batch.drop_column(column)
