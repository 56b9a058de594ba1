"""appointment reminders: rules, templates, messages sent, replies received; consent per channel

Existing contact preferences: ``allow_sms`` and ``allow_voice`` are switched off where they were on,
because no row recorded when or how the client agreed (texts and automated calls need consent on
record, and this migration does not invent it); the front desk records consent again with its date
and source. ``allow_email`` is kept: e-mail reminders need no prior consent.

Revision ID: 0018
Revises: 0017
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

from mentalspace_desktop.store.types import UTCDateTime

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def _sync_columns() -> list[sa.Column[Any]]:
    """The columns every synced table carries (store.models.Synced)."""
    return [
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("server_seq", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=36), nullable=True),
        sa.Column("device_id", sa.String(length=36), nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "reminder_rules",
        sa.Column("type_id", sa.String(36), nullable=True),
        sa.Column("offsets", sa.String(100), nullable=False),
        sa.Column("channels", sa.String(40), nullable=False),
        sa.Column("quiet_start", sa.String(5), nullable=True),
        sa.Column("quiet_end", sa.String(5), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        *_sync_columns(),
        sa.ForeignKeyConstraint(["type_id"], ["appointment_types.id"],
                                name=op.f("fk_reminder_rules_type_id_appointment_types")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_rules")),
    )
    op.create_index(op.f("ix_reminder_rules_type_id"), "reminder_rules", ["type_id"])
    op.create_index(op.f("ix_reminder_rules_server_seq"), "reminder_rules", ["server_seq"])

    op.create_table(
        "reminder_templates",
        sa.Column("language", sa.String(40), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("allow_last_name", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        *_sync_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_templates")),
    )
    op.create_index(op.f("ix_reminder_templates_server_seq"), "reminder_templates", ["server_seq"])

    op.create_table(
        "reminder_messages",
        sa.Column("key", sa.String(120), nullable=False),
        sa.Column("chain_id", sa.String(36), nullable=False),
        sa.Column("appointment_id", sa.String(36), nullable=False),
        sa.Column("client_id", sa.String(36), nullable=True),
        sa.Column("provider_id", sa.String(36), nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("offset_minutes", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("to_address", sa.String(254), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("appointment_start", UTCDateTime(timezone=True), nullable=True),
        sa.Column("ics_sequence", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("provider_message_id", sa.String(64), nullable=True),
        sa.Column("error_code", sa.String(20), nullable=True),
        sa.Column("error_reason", sa.String(300), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("claimed_until", UTCDateTime(timezone=True), nullable=True),
        sa.Column("cost_cents", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("needs_attention", sa.Boolean(), nullable=False),
        sa.Column("handled_by", sa.String(36), nullable=True),
        sa.Column("handled_at", UTCDateTime(timezone=True), nullable=True),
        *_sync_columns(),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], name=op.f("fk_reminder_messages_client_id_clients")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_messages")),
        sa.UniqueConstraint("key", name=op.f("uq_reminder_messages_key")),
    )
    op.create_index(op.f("ix_reminder_messages_chain_id"), "reminder_messages", ["chain_id"])
    op.create_index(op.f("ix_reminder_messages_client_id"), "reminder_messages", ["client_id"])
    op.create_index(op.f("ix_reminder_messages_provider_message_id"), "reminder_messages",
                    ["provider_message_id"])
    op.create_index(op.f("ix_reminder_messages_server_seq"), "reminder_messages", ["server_seq"])
    op.create_index("ix_reminder_messages_state_next", "reminder_messages", ["state", "next_attempt_at"])
    op.create_index("ix_reminder_messages_appointment", "reminder_messages", ["appointment_id", "created_at"])

    op.create_table(
        "inbound_messages",
        sa.Column("provider_message_id", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("from_number", sa.String(20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("received_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("client_id", sa.String(36), nullable=True),
        sa.Column("appointment_id", sa.String(36), nullable=True),
        sa.Column("provider_id", sa.String(36), nullable=True),
        sa.Column("reminder_message_id", sa.String(36), nullable=True),
        sa.Column("intent", sa.String(10), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(300), nullable=True),
        sa.Column("needs_attention", sa.Boolean(), nullable=False),
        sa.Column("handled_by", sa.String(36), nullable=True),
        sa.Column("handled_at", UTCDateTime(timezone=True), nullable=True),
        *_sync_columns(),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], name=op.f("fk_inbound_messages_client_id_clients")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_messages")),
        sa.UniqueConstraint("provider_message_id", name=op.f("uq_inbound_messages_provider_message_id")),
    )
    op.create_index(op.f("ix_inbound_messages_client_id"), "inbound_messages", ["client_id"])
    op.create_index(op.f("ix_inbound_messages_from_number"), "inbound_messages", ["from_number"])
    op.create_index(op.f("ix_inbound_messages_server_seq"), "inbound_messages", ["server_seq"])
    op.create_index("ix_inbound_messages_attention", "inbound_messages", ["needs_attention", "received_at"])

    with op.batch_alter_table("contact_preferences") as batch:
        for name, kind in (("sms_consent_at", UTCDateTime(timezone=True)), ("sms_consent_source", sa.String(60)),
                           ("sms_opted_out_at", UTCDateTime(timezone=True)),
                           ("email_consent_at", UTCDateTime(timezone=True)), ("email_consent_source", sa.String(60)),
                           ("voice_consent_at", UTCDateTime(timezone=True)), ("voice_consent_source", sa.String(60)),
                           ("language", sa.String(40)), ("time_zone", sa.String(64))):
            batch.add_column(sa.Column(name, kind, nullable=True))
    # No consent is invented: an "allowed" text or call without a date and source is not consent on
    # record. server_seq is kept, so a workstation's copy and the hub's change together (each runs
    # this migration on its own rows; nothing is pushed).
    op.execute(sa.text("UPDATE contact_preferences SET allow_sms = :off WHERE allow_sms = :on")
               .bindparams(off=False, on=True))
    op.execute(sa.text("UPDATE contact_preferences SET allow_voice = :off WHERE allow_voice = :on")
               .bindparams(off=False, on=True))


def downgrade() -> None:
    with op.batch_alter_table("contact_preferences") as batch:
        for name in ("time_zone", "language", "voice_consent_source", "voice_consent_at", "email_consent_source",
                     "email_consent_at", "sms_opted_out_at", "sms_consent_source", "sms_consent_at"):
            batch.drop_column(name)
    op.drop_table("inbound_messages")
    op.drop_table("reminder_messages")
    op.drop_table("reminder_templates")
    op.drop_table("reminder_rules")
