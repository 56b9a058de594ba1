"""client search: one index over last and first name keys

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_clients_last_first", "clients", ["last_key", "first_key"])


def downgrade() -> None:
    op.drop_index("ix_clients_last_first", table_name="clients")
