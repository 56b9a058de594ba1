"""progress notes: metadata (notes) and contents (note_bodies) in separate tables

Revision ID: 0006
Revises: 0005
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

import mentalspace_desktop.store.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _sync_columns() -> list[sa.Column[Any]]:
    """The columns every synced table carries (store.models.Synced)."""
    return [
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("server_seq", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", mentalspace_desktop.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=36), nullable=True),
        sa.Column("device_id", sa.String(length=36), nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "notes",
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column("author_id", sa.String(length=36), nullable=False),
        sa.Column("note_type", sa.String(length=20), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("signed_at", mentalspace_desktop.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("signed_by", sa.String(length=36), nullable=True),
        sa.Column("cosigned_at", mentalspace_desktop.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cosigned_by", sa.String(length=36), nullable=True),
        sa.Column("addendum_to", sa.String(length=36), nullable=True),
        *_sync_columns(),
        sa.ForeignKeyConstraint(["addendum_to"], ["notes.id"], name=op.f("fk_notes_addendum_to_notes")),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_notes_author_id_users")),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], name=op.f("fk_notes_client_id_clients")),
        sa.ForeignKeyConstraint(["cosigned_by"], ["users.id"], name=op.f("fk_notes_cosigned_by_users")),
        sa.ForeignKeyConstraint(["signed_by"], ["users.id"], name=op.f("fk_notes_signed_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notes")),
        sa.UniqueConstraint("id", "client_id", name=op.f("uq_notes_id")),
    )
    with op.batch_alter_table("notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notes_addendum_to"), ["addendum_to"], unique=False)
        batch_op.create_index(batch_op.f("ix_notes_author_id"), ["author_id"], unique=False)
        batch_op.create_index("ix_notes_client_service_date", ["client_id", "service_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_notes_server_seq"), ["server_seq"], unique=False)

    op.create_table(
        "note_bodies",
        sa.Column("note_id", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("signed_at", mentalspace_desktop.store.types.UTCDateTime(timezone=True), nullable=True),
        *_sync_columns(),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], name=op.f("fk_note_bodies_client_id_clients")),
        sa.ForeignKeyConstraint(
            ["note_id", "client_id"], ["notes.id", "notes.client_id"], name=op.f("fk_note_bodies_note_id_notes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_note_bodies")),
        sa.UniqueConstraint("note_id", name=op.f("uq_note_bodies_note_id")),
    )
    with op.batch_alter_table("note_bodies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_note_bodies_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_note_bodies_server_seq"), ["server_seq"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("note_bodies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_note_bodies_server_seq"))
        batch_op.drop_index(batch_op.f("ix_note_bodies_client_id"))
    op.drop_table("note_bodies")
    with op.batch_alter_table("notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notes_server_seq"))
        batch_op.drop_index("ix_notes_client_service_date")
        batch_op.drop_index(batch_op.f("ix_notes_author_id"))
        batch_op.drop_index(batch_op.f("ix_notes_addendum_to"))
    op.drop_table("notes")
