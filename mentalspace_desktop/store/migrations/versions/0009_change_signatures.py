"""change signatures: signed outbox entries and the hub's per-workstation public keys of each person

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

from mentalspace_desktop.store.types import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("signature", sa.Text(), nullable=True))
    op.create_table(
        "hub_signing_keys",
        sa.Column("device_id", sa.String(36), sa.ForeignKey("devices.id"), primary_key=True),
        sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("key_id", sa.String(32), primary_key=True),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
    )
    # Changes written before signatures existed: their authors sign them at their next sign-in here
    # (sync/signing.py), and nothing written after this point is ever signed that way.
    op.execute(
        "INSERT INTO sync_state (key, value) SELECT 'unsigned_until_seq', "
        "CAST(COALESCE(MAX(device_seq), 0) AS VARCHAR(20)) FROM outbox"
    )


def downgrade() -> None:
    op.execute("DELETE FROM sync_state WHERE key = 'unsigned_until_seq'")
    op.drop_table("hub_signing_keys")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("signature")
