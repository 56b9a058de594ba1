"""metric_visit_rows: each kept session with its client's next kept session and next booking (SQLite)

Revision ID: 0026
Revises: 0025

A local, derived table kept up by triggers on ``appointments`` (see store/metric_visit_rows.py),
filled here from the appointments already in the store: some seconds for a million rows, once. A
PostgreSQL database (a hub's) does not get it: the metric engine reads the appointments there.
"""

from alembic import op

from mentalspace_desktop.store import metric_visit_rows

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        metric_visit_rows.create(bind)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        metric_visit_rows.drop(bind)
