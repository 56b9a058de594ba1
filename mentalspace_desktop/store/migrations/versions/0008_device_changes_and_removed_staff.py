"""sync continuity: the change ids each device pushed, people removed from a workstation

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

from mentalspace_desktop.store.types import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "device_changes",
        sa.Column("device_id", sa.String(36), primary_key=True),
        sa.Column("device_seq", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("change_id", sa.String(36), nullable=False),
        sa.Column("outcome", sa.String(12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
    )
    op.create_index("ix_device_changes_change", "device_changes", ["device_id", "change_id"], unique=True)
    with op.batch_alter_table("device_users") as batch:
        batch.add_column(sa.Column("removed_at", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("removed_by", sa.String(36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("device_users") as batch:
        batch.drop_column("removed_by")
        batch.drop_column("removed_at")
    op.drop_index("ix_device_changes_change", table_name="device_changes")
    op.drop_table("device_changes")
