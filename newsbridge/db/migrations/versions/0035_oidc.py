"""single sign-on with OpenID Connect: organizations' directories, their e-mail domains, sign-ins under way

Revision ID: 0035
Revises: 0034
"""

from alembic import op
import sqlalchemy as sa

from newsbridge.db.types import Document, UTCDateTime

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None


def _org_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"],
                                   name=op.f(f"fk_{table}_organization_id_organizations"))


def upgrade() -> None:
    op.create_table(
        "sso_configs",
        sa.Column("organization_id", sa.String(length=32), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("client_id", sa.String(length=300), nullable=False),
        sa.Column("client_secret_sealed", sa.Text(), nullable=False),
        sa.Column("role_claim", sa.String(length=100), nullable=True),
        sa.Column("role_map", Document, nullable=False),
        sa.Column("default_role", sa.String(length=16), nullable=False),
        sa.Column("create_accounts", sa.Boolean(), nullable=False),
        sa.Column("sync_roles", sa.Boolean(), nullable=False),
        sa.Column("idp_enforces_mfa", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=320), nullable=False),
        _org_fk("sso_configs"),
        sa.PrimaryKeyConstraint("organization_id", name=op.f("pk_sso_configs")),
    )
    op.create_table(
        "sso_domains",
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("organization_id", sa.String(length=32), nullable=False),
        _org_fk("sso_domains"),
        sa.PrimaryKeyConstraint("domain", name=op.f("pk_sso_domains")),
    )
    op.create_index(op.f("ix_sso_domains_organization_id"), "sso_domains", ["organization_id"])
    op.create_table(
        "sso_flows",
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("organization_id", sa.String(length=32), nullable=False),
        sa.Column("nonce", sa.String(length=100), nullable=False),
        sa.Column("code_verifier", sa.String(length=128), nullable=False),
        sa.Column("next_path", sa.String(length=500), nullable=False),
        sa.Column("invitation_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        _org_fk("sso_flows"),
        sa.ForeignKeyConstraint(["invitation_id"], ["invitations.id"],
                                name=op.f("fk_sso_flows_invitation_id_invitations")),
        sa.PrimaryKeyConstraint("state_hash", name=op.f("pk_sso_flows")),
    )
    op.create_index(op.f("ix_sso_flows_expires_at"), "sso_flows", ["expires_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_sso_flows_expires_at"), table_name="sso_flows")
    op.drop_table("sso_flows")
    op.drop_index(op.f("ix_sso_domains_organization_id"), table_name="sso_domains")
    op.drop_table("sso_domains")
    op.drop_table("sso_configs")
