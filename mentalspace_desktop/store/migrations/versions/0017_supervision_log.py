"""supervision log: the sessions a supervisor held with each associate, signed by the supervisor; the
report e-mails owed and what became of each

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

from mentalspace_desktop.store.types import UTCDateTime

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('supervision_sessions',
    sa.Column('supervisor_id', sa.String(length=36), nullable=False),
    sa.Column('supervisee_id', sa.String(length=36), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('topics', sa.Text(), nullable=False),
    sa.Column('signed_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('signed_by', sa.String(length=36), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('server_seq', sa.BigInteger(), nullable=True),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=36), nullable=True),
    sa.Column('device_id', sa.String(length=36), nullable=True),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['signed_by'], ['users.id'], name=op.f('fk_supervision_sessions_signed_by_users')),
    sa.ForeignKeyConstraint(['supervisee_id'], ['users.id'],
                            name=op.f('fk_supervision_sessions_supervisee_id_users')),
    sa.ForeignKeyConstraint(['supervisor_id'], ['users.id'],
                            name=op.f('fk_supervision_sessions_supervisor_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_sessions'))
    )
    with op.batch_alter_table('supervision_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supervision_sessions_server_seq'), ['server_seq'], unique=False)
        batch_op.create_index(batch_op.f('ix_supervision_sessions_supervisor_id'), ['supervisor_id'], unique=False)
        batch_op.create_index('ix_supervision_sessions_supervisee_held_on', ['supervisee_id', 'held_on'],
                              unique=False)
    op.create_table('report_emails',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('report', sa.String(length=30), nullable=False),
    sa.Column('recipient_id', sa.String(length=36), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.Column('last_attempt_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('sent_at', UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_emails')),
    sa.UniqueConstraint('report', 'recipient_id', 'period_start', name=op.f('uq_report_emails_report'))
    )


def downgrade() -> None:
    op.drop_table('report_emails')
    op.drop_table('supervision_sessions')
