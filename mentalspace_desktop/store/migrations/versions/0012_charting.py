"""charting: note templates, versions and comments, diagnoses, treatment plans and reviews, safety plans,
risk flags, attachments; notes gain their appointment, template, co-signature and hash-chain columns

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

from mentalspace_desktop.store.types import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('note_templates',
    sa.Column('note_type', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('fields', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('server_seq', sa.BigInteger(), nullable=True),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=36), nullable=True),
    sa.Column('device_id', sa.String(length=36), nullable=True),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_note_templates')),
    sa.UniqueConstraint('note_type', 'version', name=op.f('uq_note_templates_note_type'))
    )
    with op.batch_alter_table('note_templates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_note_templates_server_seq'), ['server_seq'], unique=False)

    op.create_table('diagnoses',
    sa.Column('client_id', sa.String(length=36), nullable=False),
    sa.Column('code', sa.String(length=10), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('onset_on', sa.Date(), nullable=True),
    sa.Column('added_on', sa.Date(), nullable=False),
    sa.Column('resolved_on', sa.Date(), nullable=True),
    sa.Column('is_primary', sa.Boolean(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('added_by', sa.String(length=36), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('server_seq', sa.BigInteger(), nullable=True),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=36), nullable=True),
    sa.Column('device_id', sa.String(length=36), nullable=True),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['added_by'], ['users.id'], name=op.f('fk_diagnoses_added_by_users')),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_diagnoses_client_id_clients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_diagnoses'))
    )
    with op.batch_alter_table('diagnoses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_diagnoses_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_diagnoses_server_seq'), ['server_seq'], unique=False)

    op.create_table('risk_flags',
    sa.Column('client_id', sa.String(length=36), nullable=False),
    sa.Column('flagged_on', sa.Date(), nullable=False),
    sa.Column('cleared_on', sa.Date(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('flagged_by', sa.String(length=36), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('server_seq', sa.BigInteger(), nullable=True),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=36), nullable=True),
    sa.Column('device_id', sa.String(length=36), nullable=True),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_risk_flags_client_id_clients')),
    sa.ForeignKeyConstraint(['flagged_by'], ['users.id'], name=op.f('fk_risk_flags_flagged_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_flags'))
    )
    with op.batch_alter_table('risk_flags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_flags_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_risk_flags_server_seq'), ['server_seq'], unique=False)

    op.create_table('safety_plans',
    sa.Column('client_id', sa.String(length=36), nullable=False),
    sa.Column('author_id', sa.String(length=36), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('signed_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('signed_by', sa.String(length=36), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('server_seq', sa.BigInteger(), nullable=True),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=36), nullable=True),
    sa.Column('device_id', sa.String(length=36), nullable=True),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_safety_plans_author_id_users')),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_safety_plans_client_id_clients')),
    sa.ForeignKeyConstraint(['signed_by'], ['users.id'], name=op.f('fk_safety_plans_signed_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_safety_plans'))
    )
    with op.batch_alter_table('safety_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_safety_plans_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_safety_plans_server_seq'), ['server_seq'], unique=False)

    op.create_table('treatment_plans',
    sa.Column('client_id', sa.String(length=36), nullable=False),
    sa.Column('author_id', sa.String(length=36), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('review_due_on', sa.Date(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('signed_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('signed_by', sa.String(length=36), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('server_seq', sa.BigInteger(), nullable=True),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=36), nullable=True),
    sa.Column('device_id', sa.String(length=36), nullable=True),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_treatment_plans_author_id_users')),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_treatment_plans_client_id_clients')),
    sa.ForeignKeyConstraint(['signed_by'], ['users.id'], name=op.f('fk_treatment_plans_signed_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_treatment_plans'))
    )
    with op.batch_alter_table('treatment_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_treatment_plans_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_treatment_plans_server_seq'), ['server_seq'], unique=False)

    op.create_table('attachments',
    sa.Column('client_id', sa.String(length=36), nullable=False),
    sa.Column('note_id', sa.String(length=36), nullable=True),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('media_type', sa.String(length=40), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('added_on', sa.Date(), nullable=False),
    sa.Column('added_by', sa.String(length=36), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('server_seq', sa.BigInteger(), nullable=True),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=36), nullable=True),
    sa.Column('device_id', sa.String(length=36), nullable=True),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['added_by'], ['users.id'], name=op.f('fk_attachments_added_by_users')),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_attachments_client_id_clients')),
    sa.ForeignKeyConstraint(['note_id'], ['notes.id'], name=op.f('fk_attachments_note_id_notes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments'))
    )
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachments_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachments_server_seq'), ['server_seq'], unique=False)

    op.create_table('note_comments',
    sa.Column('note_id', sa.String(length=36), nullable=False),
    sa.Column('client_id', sa.String(length=36), nullable=False),
    sa.Column('author_id', sa.String(length=36), nullable=False),
    sa.Column('at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('server_seq', sa.BigInteger(), nullable=True),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=36), nullable=True),
    sa.Column('device_id', sa.String(length=36), nullable=True),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_note_comments_author_id_users')),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_note_comments_client_id_clients')),
    sa.ForeignKeyConstraint(['note_id'], ['notes.id'], name=op.f('fk_note_comments_note_id_notes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_note_comments'))
    )
    with op.batch_alter_table('note_comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_note_comments_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_note_comments_note_id'), ['note_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_note_comments_server_seq'), ['server_seq'], unique=False)

    op.create_table('note_diagnoses',
    sa.Column('note_id', sa.String(length=36), nullable=False),
    sa.Column('diagnosis_id', sa.String(length=36), nullable=False),
    sa.Column('client_id', sa.String(length=36), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('server_seq', sa.BigInteger(), nullable=True),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=36), nullable=True),
    sa.Column('device_id', sa.String(length=36), nullable=True),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_note_diagnoses_client_id_clients')),
    sa.ForeignKeyConstraint(['diagnosis_id'], ['diagnoses.id'], name=op.f('fk_note_diagnoses_diagnosis_id_diagnoses')),
    sa.ForeignKeyConstraint(['note_id'], ['notes.id'], name=op.f('fk_note_diagnoses_note_id_notes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_note_diagnoses')),
    sa.UniqueConstraint('note_id', 'diagnosis_id', name=op.f('uq_note_diagnoses_note_id'))
    )
    with op.batch_alter_table('note_diagnoses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_note_diagnoses_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_note_diagnoses_diagnosis_id'), ['diagnosis_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_note_diagnoses_server_seq'), ['server_seq'], unique=False)

    op.create_table('note_versions',
    sa.Column('note_id', sa.String(length=36), nullable=False),
    sa.Column('client_id', sa.String(length=36), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('saved_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('saved_by', sa.String(length=36), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('server_seq', sa.BigInteger(), nullable=True),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=36), nullable=True),
    sa.Column('device_id', sa.String(length=36), nullable=True),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_note_versions_client_id_clients')),
    sa.ForeignKeyConstraint(['note_id'], ['notes.id'], name=op.f('fk_note_versions_note_id_notes')),
    sa.ForeignKeyConstraint(['saved_by'], ['users.id'], name=op.f('fk_note_versions_saved_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_note_versions'))
    )
    with op.batch_alter_table('note_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_note_versions_client_id'), ['client_id'], unique=False)
        batch_op.create_index('ix_note_versions_note_number', ['note_id', 'number'], unique=False)
        batch_op.create_index(batch_op.f('ix_note_versions_server_seq'), ['server_seq'], unique=False)

    op.create_table('plan_reviews',
    sa.Column('plan_id', sa.String(length=36), nullable=False),
    sa.Column('client_id', sa.String(length=36), nullable=False),
    sa.Column('reviewed_on', sa.Date(), nullable=False),
    sa.Column('next_review_on', sa.Date(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('signed_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('signed_by', sa.String(length=36), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('server_seq', sa.BigInteger(), nullable=True),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=36), nullable=True),
    sa.Column('device_id', sa.String(length=36), nullable=True),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_plan_reviews_client_id_clients')),
    sa.ForeignKeyConstraint(['plan_id'], ['treatment_plans.id'], name=op.f('fk_plan_reviews_plan_id_treatment_plans')),
    sa.ForeignKeyConstraint(['signed_by'], ['users.id'], name=op.f('fk_plan_reviews_signed_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_reviews'))
    )
    with op.batch_alter_table('plan_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_reviews_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_reviews_plan_id'), ['plan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_reviews_server_seq'), ['server_seq'], unique=False)

    # Plain ADD COLUMN, not a batch rebuild: rebuilding ``notes`` would drop the table note_bodies
    # points at, which SQLite refuses (foreign keys on) once a note has a body.
    op.add_column('notes', sa.Column('appointment_id', sa.String(length=36), nullable=True))
    op.add_column('notes', sa.Column('template_id', sa.String(length=36), nullable=True))
    op.add_column('notes', sa.Column('requires_cosign', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column('notes', sa.Column('submitted_at', UTCDateTime(timezone=True), nullable=True))
    op.add_column('notes', sa.Column('submitted_by', sa.String(length=36), nullable=True))
    op.add_column('notes', sa.Column('content_hash', sa.String(length=64), nullable=True))
    op.add_column('notes', sa.Column('prev_hash', sa.String(length=64), nullable=True))
    op.add_column('notes', sa.Column('chain_hash', sa.String(length=64), nullable=True))
    op.create_index(op.f('ix_notes_appointment_id'), 'notes', ['appointment_id'], unique=False)

    # The default note types, with the same ids on every store and the hub (no device pushes them).
    from datetime import UTC, datetime

    from mentalspace_desktop.store.chart_defaults import default_rows

    templates = sa.table("note_templates", sa.column("id", sa.String), sa.column("note_type", sa.String),
                         sa.column("name", sa.String), sa.column("version", sa.Integer), sa.column("fields", sa.Text),
                         sa.column("active", sa.Boolean), sa.column("updated_at", UTCDateTime(timezone=True)),
                         sa.column("deleted", sa.Boolean))
    now = datetime.now(UTC)
    op.bulk_insert(templates, [{**row, "updated_at": now, "deleted": False} for row in default_rows()])


def downgrade() -> None:
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+), not a batch rebuild: rebuilding ``notes`` would
    # drop the table note_bodies points at, which SQLite refuses with foreign keys on.
    op.drop_index(op.f('ix_notes_appointment_id'), table_name='notes')
    for column in ('chain_hash', 'prev_hash', 'content_hash', 'submitted_by', 'submitted_at', 'requires_cosign',
                   'template_id', 'appointment_id'):
        op.execute(f'ALTER TABLE notes DROP COLUMN {column}')

    with op.batch_alter_table('plan_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_reviews_server_seq'))
        batch_op.drop_index(batch_op.f('ix_plan_reviews_plan_id'))
        batch_op.drop_index(batch_op.f('ix_plan_reviews_client_id'))

    op.drop_table('plan_reviews')
    with op.batch_alter_table('note_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_note_versions_server_seq'))
        batch_op.drop_index('ix_note_versions_note_number')
        batch_op.drop_index(batch_op.f('ix_note_versions_client_id'))

    op.drop_table('note_versions')
    with op.batch_alter_table('note_diagnoses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_note_diagnoses_server_seq'))
        batch_op.drop_index(batch_op.f('ix_note_diagnoses_diagnosis_id'))
        batch_op.drop_index(batch_op.f('ix_note_diagnoses_client_id'))

    op.drop_table('note_diagnoses')
    with op.batch_alter_table('note_comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_note_comments_server_seq'))
        batch_op.drop_index(batch_op.f('ix_note_comments_note_id'))
        batch_op.drop_index(batch_op.f('ix_note_comments_client_id'))

    op.drop_table('note_comments')
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachments_server_seq'))
        batch_op.drop_index(batch_op.f('ix_attachments_client_id'))

    op.drop_table('attachments')
    with op.batch_alter_table('treatment_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_treatment_plans_server_seq'))
        batch_op.drop_index(batch_op.f('ix_treatment_plans_client_id'))

    op.drop_table('treatment_plans')
    with op.batch_alter_table('safety_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_safety_plans_server_seq'))
        batch_op.drop_index(batch_op.f('ix_safety_plans_client_id'))

    op.drop_table('safety_plans')
    with op.batch_alter_table('risk_flags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risk_flags_server_seq'))
        batch_op.drop_index(batch_op.f('ix_risk_flags_client_id'))

    op.drop_table('risk_flags')
    with op.batch_alter_table('diagnoses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_diagnoses_server_seq'))
        batch_op.drop_index(batch_op.f('ix_diagnoses_client_id'))

    op.drop_table('diagnoses')
    with op.batch_alter_table('note_templates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_note_templates_server_seq'))

    op.drop_table('note_templates')
