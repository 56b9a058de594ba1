"""metric_day_totals: per clinician and local day, the appointment counts the metrics sum (SQLite)

Revision ID: 0023
Revises: 0022

A local, derived table kept up by triggers on ``appointments`` (see store/metric_day_totals.py),
filled here from the appointments already in the store: a few seconds for a million rows, once.
A PostgreSQL database (a hub's) does not get it: the metric engine counts there with its grouped
query.
"""

from alembic import op

from mentalspace_desktop.store import metric_day_totals

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        metric_day_totals.create(bind)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        metric_day_totals.drop(bind)
