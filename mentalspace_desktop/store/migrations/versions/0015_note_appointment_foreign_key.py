"""notes.appointment_id becomes a foreign key to appointments.id

Revision ID: 0015
Revises: 0014

SQLite cannot add a constraint to a table, and Alembic's batch rebuild (copy to a new table, drop,
rename) cannot be used for ``notes``: dropping it leaves every body, version, comment and attachment
pointing at a missing parent, and the rename does not count as putting the parents back, so the
commit fails (foreign keys are on; see 0012). Here the foreign keys are deferred for the transaction,
the rows are copied aside, ``notes`` is dropped and created again with the constraint, and the rows
are inserted back: inserting the parents again is what satisfies the deferred checks. Its indexes
are created again from their own SQL. PostgreSQL simply adds the constraint.

A note naming an appointment that is not in the database (which nothing checked before) keeps its
text and loses only the link: it shows as "not linked to an appointment", the data-quality flag.
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

NAME = "fk_notes_appointment_id_appointments"
CONSTRAINT = f"CONSTRAINT {NAME} FOREIGN KEY(appointment_id) REFERENCES appointments (id)"
COPY = "_notes_0015"


def _rebuild_sqlite(change_sql: "re.Pattern[str] | None") -> None:
    """Recreate ``notes`` with its CREATE TABLE statement changed: the constraint added (``None``) or
    the part matching ``change_sql`` removed."""
    conn = op.get_bind()
    conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")  # until commit: the parents come back below
    table_sql = conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'notes'").scalar_one()
    index_sql = [row[0] for row in conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'notes' AND sql IS NOT NULL")]
    if change_sql is None:
        body = table_sql.rstrip().rstrip(")").rstrip()
        new_sql = f"{body}, \n\t{CONSTRAINT}\n)"
    else:
        new_sql = change_sql.sub("", table_sql)
    columns = ", ".join(f'"{row[1]}"' for row in conn.exec_driver_sql("PRAGMA table_info(notes)"))
    conn.exec_driver_sql(f"CREATE TABLE {COPY} AS SELECT {columns} FROM notes")
    conn.exec_driver_sql("DROP TABLE notes")
    conn.exec_driver_sql(new_sql)
    conn.exec_driver_sql(f"INSERT INTO notes ({columns}) SELECT {columns} FROM {COPY}")
    conn.exec_driver_sql(f"DROP TABLE {COPY}")
    for sql in index_sql:
        conn.exec_driver_sql(sql)


def upgrade() -> None:
    op.execute(sa.text(
        "UPDATE notes SET appointment_id = NULL WHERE appointment_id IS NOT NULL "
        "AND appointment_id NOT IN (SELECT id FROM appointments)"))
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(None)
    else:
        op.create_foreign_key(NAME, "notes", "appointments", ["appointment_id"], ["id"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(re.compile(r",\s*CONSTRAINT\s+\"?" + NAME + r"\"?\s+FOREIGN KEY\s*\([^)]*\)\s*"
                                   r"REFERENCES\s+\"?appointments\"?\s*\([^)]*\)"))
    else:
        op.drop_constraint(NAME, "notes", type_="foreignkey")
