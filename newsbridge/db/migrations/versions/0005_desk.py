"""desk: member locale and zone, sessions, login attempts, pickups, reads

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 02:24:24.588402
"""

from alembic import op
import sqlalchemy as sa

from newsbridge.db.types import UTCDateTime


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('login_attempts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('client', sa.String(length=100), nullable=False),
    sa.Column('succeeded', sa.Boolean(), nullable=False),
    sa.Column('at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempts'))
    )
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_login_attempts_client_at', ['client', 'at'], unique=False)
        batch_op.create_index('ix_login_attempts_email_at', ['email', 'at'], unique=False)

    op.create_table('item_reads',
    sa.Column('member_id', sa.String(length=32), nullable=False),
    sa.Column('item_id', sa.String(length=32), nullable=False),
    sa.Column('at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_item_reads_item_id_items')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_item_reads_member_id_members')),
    sa.PrimaryKeyConstraint('member_id', 'item_id', name=op.f('pk_item_reads'))
    )
    op.create_table('pickups',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('item_id', sa.String(length=32), nullable=False),
    sa.Column('organization_id', sa.String(length=32), nullable=False),
    sa.Column('member_id', sa.String(length=32), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_pickups_item_id_items')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_pickups_member_id_members')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_pickups_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pickups'))
    )
    with op.batch_alter_table('pickups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pickups_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pickups_organization_id'), ['organization_id'], unique=False)

    op.create_table('sessions',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('member_id', sa.String(length=32), nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('expires_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_sessions_member_id_members')),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_sessions'))
    )
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sessions_member_id'), ['member_id'], unique=False)

    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=8), server_default='en', nullable=False))
        batch_op.add_column(sa.Column('timezone', sa.String(length=64), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_column('timezone')
        batch_op.drop_column('locale')

    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sessions_member_id'))

    op.drop_table('sessions')
    with op.batch_alter_table('pickups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pickups_organization_id'))
        batch_op.drop_index(batch_op.f('ix_pickups_item_id'))

    op.drop_table('pickups')
    op.drop_table('item_reads')
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_login_attempts_email_at')
        batch_op.drop_index('ix_login_attempts_client_at')

    op.drop_table('login_attempts')
