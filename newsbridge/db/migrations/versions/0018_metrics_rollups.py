"""metrics: detected pickups, an index for an agreement's deliveries, daily rollups per zone

Revision ID: 0018
Revises: 0017

``pickups.kind``: ``declared`` (desk, API; every existing row) or ``detected`` (the hub found a
partner's own item republishing a received one; ``evidence_item_id`` is that item).

``ix_deliveries_agreement_id_arrives_at``: the metrics read one agreement's deliveries, not the
hub's; ``ix_pickups_at``: the pickups of a window.

``metrics_days``, ``metrics_delays``, ``metrics_keys``: per agreement, zone, direction and local
day, the figures, the delivery-time histogram and the breakdowns by type, language and agreed
topic; ``metrics_built`` says which (agreement, zone) pairs they hold; ``metrics_marks`` lists
items changed since the worker last rolled them up (docs/metrics.md, "Computation").
"""

from alembic import op
import sqlalchemy as sa

from newsbridge.db.types import Document, UTCDateTime

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def _direction_day() -> list[sa.Column]:
    return [sa.Column("agreement_id", sa.String(length=32), nullable=False),
            sa.Column("zone", sa.String(length=64), nullable=False),
            sa.Column("source_id", sa.String(length=32), nullable=False),
            sa.Column("recipient_id", sa.String(length=32), nullable=False),
            sa.Column("day", sa.Integer(), nullable=False)]


KEY = ["agreement_id", "zone", "source_id", "recipient_id", "day"]


def upgrade() -> None:
    with op.batch_alter_table("pickups") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=16), nullable=False, server_default="declared"))
        batch.add_column(sa.Column("evidence_item_id", sa.String(length=32), nullable=True))
        batch.create_check_constraint(op.f("ck_pickups_kind"), "kind IN ('declared', 'detected')")
    op.create_index("ix_pickups_at", "pickups", ["at"])
    op.create_index("ix_deliveries_agreement_id_arrives_at", "deliveries", ["agreement_id", "arrives_at"])
    op.create_table(
        "metrics_marks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("item_id", sa.String(length=32), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metrics_marks")),
    )
    op.create_index("ix_metrics_marks_item_id", "metrics_marks", ["item_id"])
    op.create_table(
        "metrics_built",
        sa.Column("agreement_id", sa.String(length=32), nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("topics", Document, nullable=False),
        sa.Column("built_at", UTCDateTime(), nullable=False),
        sa.Column("refreshed_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["agreement_id"], ["agreements.id"],
                                name=op.f("fk_metrics_built_agreement_id_agreements")),
        sa.PrimaryKeyConstraint("agreement_id", "zone", name=op.f("pk_metrics_built")),
    )
    op.create_table(
        "metrics_days",
        *_direction_day(),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in (
            "items", "withdrawn", "same_day", "picked_up", "deliveries", "corrections", "pickups_declared",
            "pickups_detected")],
        sa.PrimaryKeyConstraint(*KEY, name=op.f("pk_metrics_days")),
    )
    op.create_table(
        "metrics_delays",
        *_direction_day(),
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*KEY, "bucket", name=op.f("pk_metrics_delays")),
    )
    op.create_table(
        "metrics_keys",
        *_direction_day(),
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*KEY, "dimension", "key", name=op.f("pk_metrics_keys")),
    )


def downgrade() -> None:
    op.drop_table("metrics_keys")
    op.drop_table("metrics_delays")
    op.drop_table("metrics_days")
    op.drop_table("metrics_built")
    op.drop_index("ix_metrics_marks_item_id", table_name="metrics_marks")
    op.drop_table("metrics_marks")
    op.drop_index("ix_deliveries_agreement_id_arrives_at", table_name="deliveries")
    op.drop_index("ix_pickups_at", table_name="pickups")
    with op.batch_alter_table("pickups") as batch:
        batch.drop_constraint(op.f("ck_pickups_kind"), type_="check")
        batch.drop_column("evidence_item_id")
        batch.drop_column("kind")
