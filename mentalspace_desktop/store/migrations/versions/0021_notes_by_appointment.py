"""notes: an index by (appointment_id, id), for "the session's first note"

Revision ID: 0021
Revises: 0020

The productivity metrics count each kept session's first note (the lowest id; ids are time-ordered).
Asking "is there an earlier note for this session?" of this index reads one empty range for almost
every note, instead of fetching the session's notes from the table.
"""

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_notes_appointment_first", "notes", ["appointment_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_notes_appointment_first", table_name="notes")
