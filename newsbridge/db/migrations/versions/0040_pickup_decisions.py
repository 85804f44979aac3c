"""pickups: a partner's decision on a detected pickup (confirmed or dismissed), who and when

Revision ID: 0040
Revises: 0039

Either side of a detected pickup (the source of the item or the organization the hub found
republishing it) confirms or dismisses it (stories/pickups_review.py). ``decision`` is NULL while
nobody has decided (and for declared pickups); a dismissed pickup stays listed and is not counted
in the metrics. ``decided_by`` names the member (e-mail) or the API key (``key nb_...``).
"""

from alembic import op
import sqlalchemy as sa

from newsbridge.db.types import UTCDateTime

revision = "0040"
down_revision = "0039"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pickups") as batch:
        batch.add_column(sa.Column("decision", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("decided_by", sa.String(length=320), nullable=True))
        batch.add_column(sa.Column("decided_org_id", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("decided_at", UTCDateTime(), nullable=True))
        batch.create_foreign_key(op.f("fk_pickups_decided_org_id_organizations"), "organizations",
                                 ["decided_org_id"], ["id"])
        batch.create_check_constraint(op.f("ck_pickups_decision"),
                                      "decision IS NULL OR decision IN ('confirmed', 'dismissed')")


def downgrade() -> None:
    with op.batch_alter_table("pickups") as batch:
        batch.drop_constraint(op.f("ck_pickups_decision"), type_="check")
        batch.drop_constraint(op.f("fk_pickups_decided_org_id_organizations"), type_="foreignkey")
        batch.drop_column("decided_at")
        batch.drop_column("decided_org_id")
        batch.drop_column("decided_by")
        batch.drop_column("decision")
