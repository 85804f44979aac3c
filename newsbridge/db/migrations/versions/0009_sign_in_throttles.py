"""sign-in back-off per (client address, e-mail) replaces the attempts log

Revision ID: 0009
Revises: 0008

The old log paused sign-in for everyone after five failures for an e-mail (anyone could lock
any member out) or twenty from one address (a whole office behind one address). The back-off
is now per pair; the log's rows only fed that limit, so they are dropped, not converted.
"""

from alembic import op
import sqlalchemy as sa

from newsbridge.db.types import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_throttles",
        sa.Column("client", sa.String(length=100), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", UTCDateTime(), nullable=False),
        sa.Column("paused_until", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("client", "email", name=op.f("pk_sign_in_throttles")),
    )
    op.create_index("ix_sign_in_throttles_client_last_failure_at", "sign_in_throttles",
                    ["client", "last_failure_at"], unique=False)
    op.create_index("ix_sign_in_throttles_last_failure_at", "sign_in_throttles", ["last_failure_at"], unique=False)
    op.drop_index("ix_login_attempts_client_at", table_name="login_attempts")
    op.drop_index("ix_login_attempts_email_at", table_name="login_attempts")
    op.drop_table("login_attempts")


def downgrade() -> None:
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("client", sa.String(length=100), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempts")),
    )
    op.create_index("ix_login_attempts_client_at", "login_attempts", ["client", "at"], unique=False)
    op.create_index("ix_login_attempts_email_at", "login_attempts", ["email", "at"], unique=False)
    op.drop_index("ix_sign_in_throttles_last_failure_at", table_name="sign_in_throttles")
    op.drop_index("ix_sign_in_throttles_client_last_failure_at", table_name="sign_in_throttles")
    op.drop_table("sign_in_throttles")
