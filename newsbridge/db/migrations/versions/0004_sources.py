"""ingest sources: polled feeds and their poll log

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 02:21:56.936501
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from newsbridge.db.types import UTCDateTime

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sources',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('organization_id', sa.String(length=32), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('interval_seconds', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=35), nullable=True),
    sa.Column('subjects', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('etag', sa.String(length=500), nullable=True),
    sa.Column('last_modified', sa.String(length=100), nullable=True),
    sa.Column('next_poll_at', UTCDateTime(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_sources_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sources')),
    sa.UniqueConstraint('organization_id', 'url', name=op.f('uq_sources_organization_id_url'))
    )
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.create_index('ix_sources_enabled_next_poll_at', ['enabled', 'next_poll_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_sources_organization_id'), ['organization_id'], unique=False)

    op.create_table('source_polls',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('source_id', sa.String(length=32), nullable=False),
    sa.Column('at', UTCDateTime(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('http_status', sa.Integer(), nullable=True),
    sa.Column('stored', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['source_id'], ['sources.id'], name=op.f('fk_source_polls_source_id_sources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_source_polls'))
    )
    with op.batch_alter_table('source_polls', schema=None) as batch_op:
        batch_op.create_index('ix_source_polls_source_id_at', ['source_id', 'at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('source_polls', schema=None) as batch_op:
        batch_op.drop_index('ix_source_polls_source_id_at')

    op.drop_table('source_polls')
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sources_organization_id'))
        batch_op.drop_index('ix_sources_enabled_next_poll_at')

    op.drop_table('sources')
