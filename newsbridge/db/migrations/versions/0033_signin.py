"""sign-in security: password-reset links, TOTP second factors, recovery codes, half sign-ins, 2FA policies

Revision ID: 0033
Revises: 0032
"""

from alembic import op
import sqlalchemy as sa

from newsbridge.db.types import UTCDateTime

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def _member_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f(f"fk_{table}_member_id_members"))


def upgrade() -> None:
    op.create_table(
        "password_resets",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        _member_fk("password_resets"),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_password_resets")),
    )
    op.create_index(op.f("ix_password_resets_member_id"), "password_resets", ["member_id"])
    op.create_table(
        "two_factors",
        sa.Column("member_id", sa.String(length=32), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("enabled_at", UTCDateTime(), nullable=True),
        sa.Column("last_step", sa.BigInteger(), nullable=True),
        _member_fk("two_factors"),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_two_factors")),
    )
    op.create_table(
        "recovery_codes",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.String(length=32), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        _member_fk("recovery_codes"),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_recovery_codes")),
    )
    op.create_index(op.f("ix_recovery_codes_member_id"), "recovery_codes", ["member_id"])
    op.create_table(
        "half_sign_ins",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.String(length=32), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        _member_fk("half_sign_ins"),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_half_sign_ins")),
    )
    op.create_index(op.f("ix_half_sign_ins_member_id"), "half_sign_ins", ["member_id"])
    op.create_table(
        "two_factor_policies",
        sa.Column("organization_id", sa.String(length=32), nullable=False),
        sa.Column("required_for", sa.String(length=16), nullable=False),
        sa.CheckConstraint("required_for IN ('admins', 'all')", name=op.f("ck_two_factor_policies_required_for")),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"],
                                name=op.f("fk_two_factor_policies_organization_id_organizations")),
        sa.PrimaryKeyConstraint("organization_id", name=op.f("pk_two_factor_policies")),
    )


def downgrade() -> None:
    op.drop_table("two_factor_policies")
    op.drop_index(op.f("ix_half_sign_ins_member_id"), table_name="half_sign_ins")
    op.drop_table("half_sign_ins")
    op.drop_index(op.f("ix_recovery_codes_member_id"), table_name="recovery_codes")
    op.drop_table("recovery_codes")
    op.drop_table("two_factors")
    op.drop_index(op.f("ix_password_resets_member_id"), table_name="password_resets")
    op.drop_table("password_resets")
