"""client_first_visits: each client's first kept session (SQLite)

Revision ID: 0025
Revises: 0024

A local, derived table kept up by triggers on ``appointments`` (see store/client_first_visits.py),
filled here from the appointments already in the store: a second or two for a million rows, once.
A PostgreSQL database (a hub's) does not get it: the metric engine asks the appointments there.
"""

from alembic import op

from mentalspace_desktop.store import client_first_visits

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        client_first_visits.create(bind)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        client_first_visits.drop(bind)
