"""workstations shared by several staff: device users and the hub-held device key secret

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from mentalspace_desktop.store.types import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("devices") as batch:
        batch.add_column(sa.Column("key_secret", sa.String(64), nullable=True))
    op.create_table(
        "device_users",
        sa.Column("device_id", sa.String(36), sa.ForeignKey("devices.id"), primary_key=True),
        sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("added_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("how", sa.String(20), nullable=False),
    )
    # Whoever signed in on a workstation before this revision works there.
    op.execute(
        "INSERT INTO device_users (device_id, user_id, added_at, how) "
        "SELECT DISTINCT device_id, user_id, CURRENT_TIMESTAMP, 'hub sign-in' FROM refresh_tokens"
    )


def downgrade() -> None:
    op.drop_table("device_users")
    with op.batch_alter_table("devices") as batch:
        batch.drop_column("key_secret")
