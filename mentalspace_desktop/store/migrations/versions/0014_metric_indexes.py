"""indexes the productivity metrics read: a clinician's notes by date, and their unsigned notes

Revision ID: 0014
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_notes_author_service_date", "notes", ["author_id", "service_date"])
    op.create_index("ix_notes_unsigned", "notes", ["author_id", "service_date"],
                    sqlite_where=sa.text("signed_at IS NULL"), postgresql_where=sa.text("signed_at IS NULL"))


def downgrade() -> None:
    op.drop_index("ix_notes_unsigned", table_name="notes")
    op.drop_index("ix_notes_author_service_date", table_name="notes")
