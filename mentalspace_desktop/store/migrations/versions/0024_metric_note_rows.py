"""metric_note_rows: each note written for a session, with its session's facts (SQLite)

Revision ID: 0024
Revises: 0023

A local, derived table kept up by triggers on ``notes`` and ``appointments`` (see
store/metric_note_rows.py), filled here from the notes already in the store: a few seconds for a
million notes, once. A PostgreSQL database (a hub's) does not get it: the metric engine reads the
notes and their sessions there.
"""

from alembic import op

from mentalspace_desktop.store import metric_note_rows

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        metric_note_rows.create(bind)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        metric_note_rows.drop(bind)
