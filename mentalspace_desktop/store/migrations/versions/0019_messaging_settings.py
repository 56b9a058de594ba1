"""messaging settings: the SMTP server and the Twilio account, kept where sending happens, never synced

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

from mentalspace_desktop.store.types import UTCDateTime

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "messaging_settings",
        sa.Column("name", sa.String(20), primary_key=True),
        sa.Column("config", sa.Text(), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(36), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("messaging_settings")
