"""the hub's witness of every workstation's audit chain: chain heads and refused entries

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

from mentalspace_desktop.store.types import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_chain_heads",
        sa.Column("device_id", sa.String(36), primary_key=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "audit_chain_alerts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("device_id", sa.String(36), nullable=False),
        sa.Column("entry_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_audit_chain_alerts_device_id", "audit_chain_alerts", ["device_id"])


def downgrade() -> None:
    op.drop_index("ix_audit_chain_alerts_device_id", table_name="audit_chain_alerts")
    op.drop_table("audit_chain_alerts")
    op.drop_table("audit_chain_heads")
