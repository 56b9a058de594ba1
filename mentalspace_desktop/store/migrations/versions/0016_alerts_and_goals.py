"""alerts (one open per condition, acknowledged and resolved with who and when) and performance goals

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

from mentalspace_desktop.store.types import UTCDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def _synced() -> list[sa.Column]:
    return [
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('server_seq', sa.BigInteger(), nullable=True),
        sa.Column('updated_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_by', sa.String(length=36), nullable=True),
        sa.Column('device_id', sa.String(length=36), nullable=True),
        sa.Column('deleted', sa.Boolean(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table('alerts',
    sa.Column('condition_key', sa.String(length=120), nullable=False),
    sa.Column('alert_type', sa.String(length=40), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=True),
    sa.Column('audience', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('record_type', sa.String(length=20), nullable=True),
    sa.Column('record_id', sa.String(length=36), nullable=True),
    sa.Column('section', sa.String(length=20), nullable=True),
    sa.Column('opened_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by', sa.String(length=36), nullable=True),
    sa.Column('resolved_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sa.String(length=36), nullable=True),
    sa.Column('resolution', sa.String(length=300), nullable=True),
    *_synced(),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_alerts_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts'))
    )
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.create_index('ix_alerts_open_key', ['condition_key', 'resolved_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_alerts_server_seq'), ['server_seq'], unique=False)
        batch_op.create_index(batch_op.f('ix_alerts_user_id'), ['user_id'], unique=False)

    op.create_table('performance_goals',
    sa.Column('clinician_id', sa.String(length=36), nullable=False),
    sa.Column('metric_id', sa.String(length=60), nullable=False),
    sa.Column('target', sa.Float(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('set_by', sa.String(length=36), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    *_synced(),
    sa.ForeignKeyConstraint(['clinician_id'], ['users.id'], name=op.f('fk_performance_goals_clinician_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_performance_goals'))
    )
    with op.batch_alter_table('performance_goals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_performance_goals_clinician_id'), ['clinician_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_performance_goals_server_seq'), ['server_seq'], unique=False)


def downgrade() -> None:
    op.drop_table('performance_goals')
    op.drop_table('alerts')
