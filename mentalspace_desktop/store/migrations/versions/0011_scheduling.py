"""scheduling: appointment types, appointments, series, availability, waitlist, groups

Revision ID: 0011
Revises: 0007
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

import mentalspace_desktop.store.types


revision = '0011'
down_revision = '0007'
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
    op.create_table('appointment_types',
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('category', sa.String(length=30), nullable=False),
    sa.Column('default_minutes', sa.Integer(), nullable=False),
    sa.Column('buffer_before', sa.Integer(), nullable=False),
    sa.Column('buffer_after', sa.Integer(), nullable=False),
    sa.Column('color', sa.String(length=9), nullable=False),
    sa.Column('cpt_code', sa.String(length=10), nullable=True),
    sa.Column('rate_cents', sa.Integer(), nullable=True),
    sa.Column('max_per_day', sa.Integer(), nullable=True),
    sa.Column('telehealth_allowed', sa.Boolean(), nullable=False),
    sa.Column('needs_cosign', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    *_sync_columns(),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointment_types'))
    )
    with op.batch_alter_table('appointment_types', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appointment_types_server_seq'), ['server_seq'], unique=False)

    op.create_table('locations',
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    *_sync_columns(),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_locations'))
    )
    with op.batch_alter_table('locations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_locations_server_seq'), ['server_seq'], unique=False)

    op.create_table('provider_availability',
    sa.Column('provider_id', sa.String(length=36), nullable=False),
    sa.Column('location_id', sa.String(length=36), nullable=True),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('start_time', sa.String(length=5), nullable=False),
    sa.Column('end_time', sa.String(length=5), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('is_override', sa.Boolean(), nullable=False),
    sa.Column('available', sa.Boolean(), nullable=False),
    *_sync_columns(),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_provider_availability_location_id_locations')),
    sa.ForeignKeyConstraint(['provider_id'], ['users.id'], name=op.f('fk_provider_availability_provider_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_provider_availability'))
    )
    with op.batch_alter_table('provider_availability', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_provider_availability_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_provider_availability_server_seq'), ['server_seq'], unique=False)

    op.create_table('rooms',
    sa.Column('location_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    *_sync_columns(),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_rooms_location_id_locations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rooms'))
    )
    with op.batch_alter_table('rooms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rooms_location_id'), ['location_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rooms_server_seq'), ['server_seq'], unique=False)

    op.create_table('time_off',
    sa.Column('provider_id', sa.String(length=36), nullable=False),
    sa.Column('start_at', mentalspace_desktop.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('end_at', mentalspace_desktop.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('requested_by', sa.String(length=36), nullable=True),
    sa.Column('decided_by', sa.String(length=36), nullable=True),
    sa.Column('decided_at', mentalspace_desktop.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sa.String(length=300), nullable=True),
    *_sync_columns(),
    sa.ForeignKeyConstraint(['provider_id'], ['users.id'], name=op.f('fk_time_off_provider_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_time_off'))
    )
    with op.batch_alter_table('time_off', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_time_off_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_time_off_server_seq'), ['server_seq'], unique=False)

    op.create_table('appointment_series',
    sa.Column('client_id', sa.String(length=36), nullable=True),
    sa.Column('group_id', sa.String(length=36), nullable=True),
    sa.Column('provider_id', sa.String(length=36), nullable=False),
    sa.Column('type_id', sa.String(length=36), nullable=False),
    sa.Column('location_id', sa.String(length=36), nullable=True),
    sa.Column('room_id', sa.String(length=36), nullable=True),
    sa.Column('telehealth', sa.Boolean(), nullable=False),
    sa.Column('rrule', sa.Text(), nullable=False),
    sa.Column('start_local', sa.String(length=19), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('exdates', sa.Text(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    *_sync_columns(),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_appointment_series_client_id_clients')),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_appointment_series_location_id_locations')),
    sa.ForeignKeyConstraint(['provider_id'], ['users.id'], name=op.f('fk_appointment_series_provider_id_users')),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.id'], name=op.f('fk_appointment_series_room_id_rooms')),
    sa.ForeignKeyConstraint(['type_id'], ['appointment_types.id'], name=op.f('fk_appointment_series_type_id_appointment_types')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointment_series'))
    )
    with op.batch_alter_table('appointment_series', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appointment_series_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appointment_series_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appointment_series_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appointment_series_server_seq'), ['server_seq'], unique=False)

    op.create_table('busy_blocks',
    sa.Column('provider_id', sa.String(length=36), nullable=True),
    sa.Column('room_id', sa.String(length=36), nullable=True),
    sa.Column('start_at', mentalspace_desktop.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('end_at', mentalspace_desktop.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('buffer_before', sa.Integer(), nullable=False),
    sa.Column('buffer_after', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('source_uid', sa.String(length=300), nullable=True),
    *_sync_columns(),
    sa.ForeignKeyConstraint(['provider_id'], ['users.id'], name=op.f('fk_busy_blocks_provider_id_users')),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.id'], name=op.f('fk_busy_blocks_room_id_rooms')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_busy_blocks'))
    )
    with op.batch_alter_table('busy_blocks', schema=None) as batch_op:
        batch_op.create_index('ix_busy_blocks_provider_start', ['provider_id', 'start_at'], unique=False)
        batch_op.create_index('ix_busy_blocks_room_start', ['room_id', 'start_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_busy_blocks_server_seq'), ['server_seq'], unique=False)

    op.create_table('contact_preferences',
    sa.Column('client_id', sa.String(length=36), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('allow_sms', sa.Boolean(), nullable=False),
    sa.Column('allow_email', sa.Boolean(), nullable=False),
    sa.Column('allow_voice', sa.Boolean(), nullable=False),
    sa.Column('reminder_hours', sa.Integer(), nullable=False),
    sa.Column('leave_voicemail', sa.Boolean(), nullable=False),
    *_sync_columns(),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_contact_preferences_client_id_clients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_preferences')),
    sa.UniqueConstraint('client_id', name=op.f('uq_contact_preferences_client_id'))
    )
    with op.batch_alter_table('contact_preferences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_preferences_server_seq'), ['server_seq'], unique=False)

    op.create_table('therapy_groups',
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('type_id', sa.String(length=36), nullable=False),
    sa.Column('facilitator_id', sa.String(length=36), nullable=False),
    sa.Column('cofacilitator_id', sa.String(length=36), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('enrollment', sa.String(length=6), nullable=False),
    sa.Column('screening_required', sa.Boolean(), nullable=False),
    sa.Column('location_id', sa.String(length=36), nullable=True),
    sa.Column('room_id', sa.String(length=36), nullable=True),
    sa.Column('series_id', sa.String(length=36), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    *_sync_columns(),
    sa.ForeignKeyConstraint(['cofacilitator_id'], ['users.id'], name=op.f('fk_therapy_groups_cofacilitator_id_users')),
    sa.ForeignKeyConstraint(['facilitator_id'], ['users.id'], name=op.f('fk_therapy_groups_facilitator_id_users')),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_therapy_groups_location_id_locations')),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.id'], name=op.f('fk_therapy_groups_room_id_rooms')),
    sa.ForeignKeyConstraint(['type_id'], ['appointment_types.id'], name=op.f('fk_therapy_groups_type_id_appointment_types')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_therapy_groups'))
    )
    with op.batch_alter_table('therapy_groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_therapy_groups_facilitator_id'), ['facilitator_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_therapy_groups_server_seq'), ['server_seq'], unique=False)

    op.create_table('waitlist_entries',
    sa.Column('client_id', sa.String(length=36), nullable=False),
    sa.Column('provider_id', sa.String(length=36), nullable=True),
    sa.Column('type_id', sa.String(length=36), nullable=True),
    sa.Column('days', sa.String(length=20), nullable=False),
    sa.Column('times', sa.String(length=40), nullable=False),
    sa.Column('insurance', sa.String(length=120), nullable=True),
    sa.Column('urgency', sa.String(length=10), nullable=False),
    sa.Column('telehealth_ok', sa.Boolean(), nullable=False),
    sa.Column('added_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('booked_appointment_id', sa.String(length=36), nullable=True),
    *_sync_columns(),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_waitlist_entries_client_id_clients')),
    sa.ForeignKeyConstraint(['provider_id'], ['users.id'], name=op.f('fk_waitlist_entries_provider_id_users')),
    sa.ForeignKeyConstraint(['type_id'], ['appointment_types.id'], name=op.f('fk_waitlist_entries_type_id_appointment_types')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_waitlist_entries'))
    )
    with op.batch_alter_table('waitlist_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_waitlist_entries_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_waitlist_entries_server_seq'), ['server_seq'], unique=False)

    op.create_table('appointments',
    sa.Column('client_id', sa.String(length=36), nullable=True),
    sa.Column('group_id', sa.String(length=36), nullable=True),
    sa.Column('provider_id', sa.String(length=36), nullable=False),
    sa.Column('type_id', sa.String(length=36), nullable=False),
    sa.Column('location_id', sa.String(length=36), nullable=True),
    sa.Column('room_id', sa.String(length=36), nullable=True),
    sa.Column('series_id', sa.String(length=36), nullable=True),
    sa.Column('occurrence_date', sa.Date(), nullable=True),
    sa.Column('start_local', sa.String(length=19), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('start_at', mentalspace_desktop.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('end_at', mentalspace_desktop.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('buffer_before', sa.Integer(), nullable=False),
    sa.Column('buffer_after', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=14), nullable=False),
    sa.Column('status_at', mentalspace_desktop.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('status_by', sa.String(length=36), nullable=True),
    sa.Column('late_cancel', sa.Boolean(), nullable=False),
    sa.Column('cancel_reason', sa.String(length=200), nullable=True),
    sa.Column('rescheduled_to', sa.String(length=36), nullable=True),
    sa.Column('telehealth', sa.Boolean(), nullable=False),
    sa.Column('meeting_link', sa.String(length=500), nullable=True),
    sa.Column('confirmation', sa.String(length=12), nullable=False),
    sa.Column('confirmed_at', mentalspace_desktop.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('confirmed_via', sa.String(length=12), nullable=True),
    sa.Column('checked_in_at', mentalspace_desktop.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('override_reason', sa.Text(), nullable=True),
    sa.Column('booked_at', mentalspace_desktop.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('booked_by', sa.String(length=36), nullable=True),
    *_sync_columns(),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_appointments_client_id_clients')),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_appointments_location_id_locations')),
    sa.ForeignKeyConstraint(['provider_id'], ['users.id'], name=op.f('fk_appointments_provider_id_users')),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.id'], name=op.f('fk_appointments_room_id_rooms')),
    sa.ForeignKeyConstraint(['series_id'], ['appointment_series.id'], name=op.f('fk_appointments_series_id_appointment_series')),
    sa.ForeignKeyConstraint(['type_id'], ['appointment_types.id'], name=op.f('fk_appointments_type_id_appointment_types')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointments'))
    )
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.create_index('ix_appointments_client_start', ['client_id', 'start_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_appointments_group_id'), ['group_id'], unique=False)
        batch_op.create_index('ix_appointments_provider_start', ['provider_id', 'start_at'], unique=False)
        batch_op.create_index('ix_appointments_room_start', ['room_id', 'start_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_appointments_series_id'), ['series_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appointments_server_seq'), ['server_seq'], unique=False)
        batch_op.create_index('ix_appointments_start', ['start_at'], unique=False)

    op.create_table('group_members',
    sa.Column('group_id', sa.String(length=36), nullable=False),
    sa.Column('client_id', sa.String(length=36), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('screening_notes', sa.Text(), nullable=True),
    sa.Column('approved_by', sa.String(length=36), nullable=True),
    sa.Column('approved_at', mentalspace_desktop.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('joined_on', sa.Date(), nullable=True),
    sa.Column('left_on', sa.Date(), nullable=True),
    *_sync_columns(),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_group_members_client_id_clients')),
    sa.ForeignKeyConstraint(['group_id'], ['therapy_groups.id'], name=op.f('fk_group_members_group_id_therapy_groups')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_members'))
    )
    with op.batch_alter_table('group_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_members_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_group_members_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_group_members_server_seq'), ['server_seq'], unique=False)

    op.create_table('waitlist_offers',
    sa.Column('entry_id', sa.String(length=36), nullable=False),
    sa.Column('client_id', sa.String(length=36), nullable=False),
    sa.Column('provider_id', sa.String(length=36), nullable=False),
    sa.Column('type_id', sa.String(length=36), nullable=True),
    sa.Column('start_at', mentalspace_desktop.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('end_at', mentalspace_desktop.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('offered_at', mentalspace_desktop.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('offered_by', sa.String(length=36), nullable=False),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('outcome_at', mentalspace_desktop.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('appointment_id', sa.String(length=36), nullable=True),
    *_sync_columns(),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_waitlist_offers_client_id_clients')),
    sa.ForeignKeyConstraint(['entry_id'], ['waitlist_entries.id'], name=op.f('fk_waitlist_offers_entry_id_waitlist_entries')),
    sa.ForeignKeyConstraint(['provider_id'], ['users.id'], name=op.f('fk_waitlist_offers_provider_id_users')),
    sa.ForeignKeyConstraint(['type_id'], ['appointment_types.id'], name=op.f('fk_waitlist_offers_type_id_appointment_types')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_waitlist_offers'))
    )
    with op.batch_alter_table('waitlist_offers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_waitlist_offers_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_waitlist_offers_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_waitlist_offers_server_seq'), ['server_seq'], unique=False)

    op.create_table('appointment_status_history',
    sa.Column('appointment_id', sa.String(length=36), nullable=False),
    sa.Column('client_id', sa.String(length=36), nullable=True),
    sa.Column('status', sa.String(length=14), nullable=False),
    sa.Column('at', mentalspace_desktop.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('by', sa.String(length=36), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=True),
    *_sync_columns(),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_appointment_status_history_appointment_id_appointments')),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_appointment_status_history_client_id_clients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointment_status_history'))
    )
    with op.batch_alter_table('appointment_status_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appointment_status_history_appointment_id'), ['appointment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appointment_status_history_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appointment_status_history_server_seq'), ['server_seq'], unique=False)

    op.create_table('group_attendance',
    sa.Column('group_id', sa.String(length=36), nullable=False),
    sa.Column('appointment_id', sa.String(length=36), nullable=False),
    sa.Column('client_id', sa.String(length=36), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('recorded_by', sa.String(length=36), nullable=False),
    sa.Column('recorded_at', mentalspace_desktop.store.types.UTCDateTime(timezone=True), nullable=False),
    *_sync_columns(),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_group_attendance_appointment_id_appointments')),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_group_attendance_client_id_clients')),
    sa.ForeignKeyConstraint(['group_id'], ['therapy_groups.id'], name=op.f('fk_group_attendance_group_id_therapy_groups')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_attendance'))
    )
    with op.batch_alter_table('group_attendance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_attendance_appointment_id'), ['appointment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_group_attendance_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_group_attendance_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_group_attendance_server_seq'), ['server_seq'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('group_attendance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_attendance_server_seq'))
        batch_op.drop_index(batch_op.f('ix_group_attendance_group_id'))
        batch_op.drop_index(batch_op.f('ix_group_attendance_client_id'))
        batch_op.drop_index(batch_op.f('ix_group_attendance_appointment_id'))

    op.drop_table('group_attendance')
    with op.batch_alter_table('appointment_status_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appointment_status_history_server_seq'))
        batch_op.drop_index(batch_op.f('ix_appointment_status_history_client_id'))
        batch_op.drop_index(batch_op.f('ix_appointment_status_history_appointment_id'))

    op.drop_table('appointment_status_history')
    with op.batch_alter_table('waitlist_offers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_waitlist_offers_server_seq'))
        batch_op.drop_index(batch_op.f('ix_waitlist_offers_entry_id'))
        batch_op.drop_index(batch_op.f('ix_waitlist_offers_client_id'))

    op.drop_table('waitlist_offers')
    with op.batch_alter_table('group_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_members_server_seq'))
        batch_op.drop_index(batch_op.f('ix_group_members_group_id'))
        batch_op.drop_index(batch_op.f('ix_group_members_client_id'))

    op.drop_table('group_members')
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_index('ix_appointments_start')
        batch_op.drop_index(batch_op.f('ix_appointments_server_seq'))
        batch_op.drop_index(batch_op.f('ix_appointments_series_id'))
        batch_op.drop_index('ix_appointments_room_start')
        batch_op.drop_index('ix_appointments_provider_start')
        batch_op.drop_index(batch_op.f('ix_appointments_group_id'))
        batch_op.drop_index('ix_appointments_client_start')

    op.drop_table('appointments')
    with op.batch_alter_table('waitlist_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_waitlist_entries_server_seq'))
        batch_op.drop_index(batch_op.f('ix_waitlist_entries_client_id'))

    op.drop_table('waitlist_entries')
    with op.batch_alter_table('therapy_groups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_therapy_groups_server_seq'))
        batch_op.drop_index(batch_op.f('ix_therapy_groups_facilitator_id'))

    op.drop_table('therapy_groups')
    with op.batch_alter_table('contact_preferences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_preferences_server_seq'))

    op.drop_table('contact_preferences')
    with op.batch_alter_table('busy_blocks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_busy_blocks_server_seq'))
        batch_op.drop_index('ix_busy_blocks_room_start')
        batch_op.drop_index('ix_busy_blocks_provider_start')

    op.drop_table('busy_blocks')
    with op.batch_alter_table('appointment_series', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appointment_series_server_seq'))
        batch_op.drop_index(batch_op.f('ix_appointment_series_provider_id'))
        batch_op.drop_index(batch_op.f('ix_appointment_series_group_id'))
        batch_op.drop_index(batch_op.f('ix_appointment_series_client_id'))

    op.drop_table('appointment_series')
    with op.batch_alter_table('time_off', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_time_off_server_seq'))
        batch_op.drop_index(batch_op.f('ix_time_off_provider_id'))

    op.drop_table('time_off')
    with op.batch_alter_table('rooms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rooms_server_seq'))
        batch_op.drop_index(batch_op.f('ix_rooms_location_id'))

    op.drop_table('rooms')
    with op.batch_alter_table('provider_availability', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_provider_availability_server_seq'))
        batch_op.drop_index(batch_op.f('ix_provider_availability_provider_id'))

    op.drop_table('provider_availability')
    with op.batch_alter_table('locations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_locations_server_seq'))

    op.drop_table('locations')
    with op.batch_alter_table('appointment_types', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appointment_types_server_seq'))

    op.drop_table('appointment_types')
