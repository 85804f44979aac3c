"""delivery: feed positions, endpoints, outbox, feed tokens

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 02:12:31.891892
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from newsbridge.db.types import UTCDateTime

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('endpoints',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('organization_id', sa.String(length=32), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('events', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('ninjs_version', sa.String(length=1), nullable=False),
    sa.Column('secret', sa.String(length=100), nullable=False),
    sa.Column('previous_secret', sa.String(length=100), nullable=True),
    sa.Column('previous_secret_until', UTCDateTime(), nullable=True),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('disabled_reason', sa.Text(), nullable=True),
    sa.Column('failing_since', UTCDateTime(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_endpoints_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_endpoints'))
    )
    with op.batch_alter_table('endpoints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_endpoints_organization_id'), ['organization_id'], unique=False)

    op.create_table('feed_tokens',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('organization_id', sa.String(length=32), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('revoked_at', UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_feed_tokens_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feed_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_feed_tokens_token_hash'))
    )
    with op.batch_alter_table('feed_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feed_tokens_organization_id'), ['organization_id'], unique=False)

    op.create_table('outbox',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('endpoint_id', sa.String(length=32), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=True),
    sa.Column('agreement_event_id', sa.Integer(), nullable=True),
    sa.Column('event', sa.String(length=32), nullable=False),
    sa.Column('message_id', sa.String(length=40), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', UTCDateTime(), nullable=False),
    sa.Column('lease_until', UTCDateTime(), nullable=True),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('last_status', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('delivered_at', UTCDateTime(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.CheckConstraint("state IN ('pending', 'in_flight', 'delivered', 'retrying', 'dead', 'failed')", name=op.f('ck_outbox_state')),
    sa.ForeignKeyConstraint(['agreement_event_id'], ['agreement_events.id'], name=op.f('fk_outbox_agreement_event_id_agreement_events')),
    sa.ForeignKeyConstraint(['delivery_id'], ['deliveries.id'], name=op.f('fk_outbox_delivery_id_deliveries')),
    sa.ForeignKeyConstraint(['endpoint_id'], ['endpoints.id'], name=op.f('fk_outbox_endpoint_id_endpoints')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('agreement_event_id', 'endpoint_id', name=op.f('uq_outbox_agreement_event_id_endpoint_id')),
    sa.UniqueConstraint('delivery_id', 'endpoint_id', name=op.f('uq_outbox_delivery_id_endpoint_id')),
    sa.UniqueConstraint('message_id', name=op.f('uq_outbox_message_id'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_endpoint_id_state', ['endpoint_id', 'state'], unique=False)
        batch_op.create_index('ix_outbox_state_next_attempt_at', ['state', 'next_attempt_at'], unique=False)

    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('event', sa.String(length=32), nullable=False, server_default='item.published'))
        batch_op.add_column(sa.Column('position', sa.BigInteger(), nullable=True))
        batch_op.create_index('ix_deliveries_recipient_id_position', ['recipient_id', 'position'], unique=False)
        batch_op.create_index('ix_deliveries_unsequenced', ['available_from'], unique=False, sqlite_where=sa.text('position IS NULL'), postgresql_where=sa.text('position IS NULL'))
        batch_op.create_unique_constraint(batch_op.f('uq_deliveries_position'), ['position'])



def downgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_deliveries_position'), type_='unique')
        batch_op.drop_index('ix_deliveries_unsequenced', sqlite_where=sa.text('position IS NULL'), postgresql_where=sa.text('position IS NULL'))
        batch_op.drop_index('ix_deliveries_recipient_id_position')
        batch_op.drop_column('position')
        batch_op.drop_column('event')

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_state_next_attempt_at')
        batch_op.drop_index('ix_outbox_endpoint_id_state')

    op.drop_table('outbox')
    with op.batch_alter_table('feed_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feed_tokens_organization_id'))

    op.drop_table('feed_tokens')
    with op.batch_alter_table('endpoints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_endpoints_organization_id'))

    op.drop_table('endpoints')
