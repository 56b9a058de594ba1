"""hub: login attempt counters

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

import mentalspace_desktop.store.types

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('hub_login_attempts',
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('locked_until', mentalspace_desktop.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_hub_login_attempts_user_id_users')),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_hub_login_attempts'))
    )


def downgrade() -> None:
    op.drop_table('hub_login_attempts')
