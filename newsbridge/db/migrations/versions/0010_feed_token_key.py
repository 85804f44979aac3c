"""feed_tokens: the API key that minted each token (revoking the key revokes its tokens)

Revision ID: 0010
Revises: 0009

A feed token minted with an API key lives no longer than that key: the token records the key
and its URL stops working once the key is revoked. Tokens minted on the desk, and those minted
before this migration (their key is unknown), have none and live until revoked themselves.
"""

from alembic import op
import sqlalchemy as sa

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Batch mode: SQLite adds a named foreign key only by rebuilding the table (feed tokens are few).
    with op.batch_alter_table("feed_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("api_key_id", sa.String(length=32), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_feed_tokens_api_key_id_api_keys"), "api_keys",
                                    ["api_key_id"], ["id"])
        batch_op.create_index(batch_op.f("ix_feed_tokens_api_key_id"), ["api_key_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("feed_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feed_tokens_api_key_id"))
        batch_op.drop_constraint(batch_op.f("fk_feed_tokens_api_key_id_api_keys"), type_="foreignkey")
        batch_op.drop_column("api_key_id")
