"""reminders: delivery reports that arrive before the message's provider id is recorded

Twilio may post a message's status callback before its answer to the send request has reached the
sender (and its SID been recorded). Such a report is kept in ``early_delivery_reports`` and applied
when the SID is recorded. Group sessions' reminders need no schema change: their idempotency key
names the member (``reminder_messages.key`` stays UNIQUE). Replies are indexed by the reminder they
answer: the no-show score joins them to each client's reminders on every calendar read.

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

from mentalspace_desktop.store.types import UTCDateTime

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "early_delivery_reports",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("provider_message_id", sa.String(64), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("error_code", sa.String(20), nullable=True),
        sa.Column("reported_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_early_delivery_reports")),
    )
    op.create_index(op.f("ix_early_delivery_reports_provider_message_id"), "early_delivery_reports",
                    ["provider_message_id"])
    op.create_index(op.f("ix_inbound_messages_reminder_message_id"), "inbound_messages", ["reminder_message_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_inbound_messages_reminder_message_id"), table_name="inbound_messages")
    op.drop_index(op.f("ix_early_delivery_reports_provider_message_id"), table_name="early_delivery_reports")
    op.drop_table("early_delivery_reports")
