"""schedule clashes: appointments booked twice while offline, as the hub records them

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

from mentalspace_desktop.store.types import UTCDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('schedule_clashes',
    sa.Column('first_id', sa.String(length=36), nullable=False),
    sa.Column('second_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('provider_id', sa.String(length=36), nullable=True),
    sa.Column('start_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('end_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('detected_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('server_seq', sa.BigInteger(), nullable=True),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=36), nullable=True),
    sa.Column('device_id', sa.String(length=36), nullable=True),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_schedule_clashes'))
    )
    with op.batch_alter_table('schedule_clashes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_schedule_clashes_first_id'), ['first_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_schedule_clashes_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_schedule_clashes_second_id'), ['second_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_schedule_clashes_server_seq'), ['server_seq'], unique=False)
        batch_op.create_index(batch_op.f('ix_schedule_clashes_status'), ['status'], unique=False)


def downgrade() -> None:
    op.drop_table('schedule_clashes')
