"""story_vectors_created_at: the vectors written since a moment, found by an index

Revision ID: 0059
Revises: 0058

Cross-lingual search keeps the hub's item vectors in memory (desk/vector_cache.py) and, before each
search, reads the rows written since the newest it holds: ``created_at`` needs an index for that to
be a range read and not a scan of every vector (issue 16).
"""

from alembic import op

revision = "0059"
down_revision = "0058"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_story_vectors_created_at", "story_vectors", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_story_vectors_created_at", table_name="story_vectors")
