"""metric_visit_rows (each kept session with what follows it for its client); metric_note_rows with
the notes written without a session (SQLite)

Revision ID: 0026
Revises: 0025

``metric_visit_rows`` is a local, derived table kept up by triggers on ``appointments`` (see
store/metric_visit_rows.py), filled here from the appointments already in the store (about half a
minute for a million on a busy two-core machine, once). ``metric_note_rows`` (0024) is made again
to hold the notes without a session as well, so that the note backlog reads it (some seconds for a
million notes). A PostgreSQL database (a hub's) gets neither: the metric engine reads the
appointments and notes there.

Downgrading drops ``metric_visit_rows`` and leaves ``metric_note_rows`` as it is: its extra rows
(no session) are ones 0025's engine never reads.
"""

from alembic import op

from mentalspace_desktop.store import metric_note_rows, metric_visit_rows

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        metric_visit_rows.create(bind)
        metric_note_rows.drop(bind)
        metric_note_rows.create(bind)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        metric_visit_rows.drop(bind)
