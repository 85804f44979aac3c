"""media_gps: whether the hub has looked for GPS in a media's original, and what it found

Revision ID: 0056
Revises: 0055

``media.gps``: NULL while the hub has not looked (a partner without ``allow_gps`` is offered no original of a
picture, video or audio then), ``none`` (the original is offered), ``found`` (the GPS-free copy is offered,
when made). Set at publish (media/embedded.py) and by the derivative job (media/processing.py). Existing rows
take what the renditions tell: a media whose derivatives are made has been looked at, found when it has an
``original-nogps`` rendition; a picture that has that copy before its job ran was looked at by its publish.
"""

from alembic import op
import sqlalchemy as sa

revision = "0056"
down_revision = "0055"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("media", sa.Column("gps", sa.String(8), nullable=True))
    op.execute("UPDATE media SET gps = 'found' WHERE EXISTS (SELECT 1 FROM renditions r "
               "WHERE r.media_id = media.id AND r.name = 'original-nogps')")
    op.execute("UPDATE media SET gps = 'none' WHERE gps IS NULL AND status = 'ready'")


def downgrade() -> None:
    # SQLite (3.35+) drops a column in place: a batch copy of media would trip the renditions' foreign key
    op.execute("ALTER TABLE media DROP COLUMN gps")
