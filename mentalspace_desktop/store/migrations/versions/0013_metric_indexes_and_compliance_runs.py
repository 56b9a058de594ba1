"""productivity and compliance: the indexes metrics read (a clinician's notes by date, their unsigned
notes) and the compliance runs with their findings

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

from mentalspace_desktop.store.types import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_notes_author_service_date", "notes", ["author_id", "service_date"])
    op.create_index("ix_notes_unsigned", "notes", ["author_id", "service_date"],
                    sqlite_where=sa.text("signed_at IS NULL"), postgresql_where=sa.text("signed_at IS NULL"))
    op.create_table(
        "compliance_runs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("ran_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("ran_by", sa.String(36), nullable=True),
        sa.Column("scope", sa.String(10), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
    )
    op.create_index("ix_compliance_runs_ran_at", "compliance_runs", ["ran_at"])
    op.create_table(
        "compliance_findings",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("run_id", sa.String(36), sa.ForeignKey("compliance_runs.id"), nullable=False),
        sa.Column("rule", sa.String(40), nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("record_type", sa.String(20), nullable=False),
        sa.Column("record_id", sa.String(36), nullable=False),
        sa.Column("responsible_user_id", sa.String(36), nullable=True),
        sa.Column("detail", sa.String(300), nullable=False),
    )
    op.create_index("ix_compliance_findings_run_id", "compliance_findings", ["run_id"])


def downgrade() -> None:
    op.drop_table("compliance_findings")
    op.drop_table("compliance_runs")
    op.drop_index("ix_notes_unsigned", table_name="notes")
    op.drop_index("ix_notes_author_service_date", table_name="notes")
