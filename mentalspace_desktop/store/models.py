"""The data model. Every synced table carries the sync columns of DESIGN.md via :class:`Synced`."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.store.types import UTCDateTime, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Synced:
    """Columns every synced row carries. Synced rows are never hard-deleted: ``deleted`` is a tombstone."""

    __synced__ = True

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    server_seq: Mapped[int | None] = mapped_column(BigInteger, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(36))
    device_id: Mapped[str | None] = mapped_column(String(36))
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)


class Practice(Synced, Base):
    __tablename__ = "practice"

    name: Mapped[str] = mapped_column(String(200))
    time_zone: Mapped[str] = mapped_column(String(64), default="America/New_York")
    state: Mapped[str] = mapped_column(String(2), default="GA")
    phone: Mapped[str | None] = mapped_column(String(20))
    idle_lock_minutes: Mapped[int] = mapped_column(Integer, default=15)
    rule_settings: Mapped[str] = mapped_column(Text, default="{}")  # JSON: compliance rule settings
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    next_chart_number: Mapped[int] = mapped_column(Integer, default=1001)


class User(Synced, Base):
    """A member of staff who signs in."""

    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(20))
    license_type: Mapped[str | None] = mapped_column(String(40))
    license_number: Mapped[str | None] = mapped_column(String(40))
    supervisor_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), index=True)
    hipaa_training_on: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)  # refuses a code used twice
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BackupCode(Synced, Base):
    """A one-time code that stands in for the authenticator app; only its hash is kept."""

    __tablename__ = "backup_codes"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Client(Synced, Base):
    __tablename__ = "clients"
    # Search by "last first" reads rows already in name order: no sort of every Smith per keystroke.
    __table_args__ = (Index("ix_clients_last_first", "last_key", "first_key"),)

    chart_number: Mapped[str] = mapped_column(String(20), unique=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    preferred_name: Mapped[str | None] = mapped_column(String(100))
    dob: Mapped[date] = mapped_column(Date, index=True)
    sex_at_birth: Mapped[str | None] = mapped_column(String(20))
    gender_identity: Mapped[str | None] = mapped_column(String(60))
    pronouns: Mapped[str | None] = mapped_column(String(30))
    phone_mobile: Mapped[str | None] = mapped_column(String(20))
    phone_home: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    address1: Mapped[str | None] = mapped_column(String(200))
    address2: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str | None] = mapped_column(String(2))
    zip: Mapped[str | None] = mapped_column(String(10))
    preferred_language: Mapped[str] = mapped_column(String(40), default="English")
    status: Mapped[str] = mapped_column(String(20), default="active")
    discharged_on: Mapped[date | None] = mapped_column(Date)
    primary_clinician_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), index=True)
    uses_telehealth: Mapped[bool] = mapped_column(Boolean, default=False)
    emergency_name: Mapped[str | None] = mapped_column(String(200))
    emergency_phone: Mapped[str | None] = mapped_column(String(20))
    emergency_relationship: Mapped[str | None] = mapped_column(String(60))
    guardian_name: Mapped[str | None] = mapped_column(String(200))
    guardian_phone: Mapped[str | None] = mapped_column(String(20))
    # Search keys, kept by the client service: folded names and reversed phone digits so that
    # prefix and last-four look-ups are index range scans.
    last_key: Mapped[str] = mapped_column(String(100), index=True)
    first_key: Mapped[str] = mapped_column(String(100), index=True)
    preferred_key: Mapped[str | None] = mapped_column(String(100), index=True)
    phone_key: Mapped[str | None] = mapped_column(String(20), index=True)
    phone_rev_key: Mapped[str | None] = mapped_column(String(20), index=True)

    insurances: Mapped[list[Insurance]] = relationship(
        back_populates="client", order_by="Insurance.rank", lazy="selectin"
    )
    consents: Mapped[list[Consent]] = relationship(
        back_populates="client", order_by="Consent.signed_on", lazy="selectin"
    )


class Insurance(Synced, Base):
    __tablename__ = "insurances"

    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id"), index=True)
    rank: Mapped[int] = mapped_column(Integer)  # 1 primary, 2 secondary
    payer_name: Mapped[str] = mapped_column(String(120))
    payer_id: Mapped[str | None] = mapped_column(String(20))
    member_id: Mapped[str] = mapped_column(String(40))
    group_number: Mapped[str | None] = mapped_column(String(40))
    subscriber_name: Mapped[str | None] = mapped_column(String(200))
    subscriber_relationship: Mapped[str] = mapped_column(String(20), default="self")
    effective_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)

    client: Mapped[Client] = relationship(back_populates="insurances")


class Consent(Synced, Base):
    __tablename__ = "consents"

    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    signed_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)
    revoked_on: Mapped[date | None] = mapped_column(Date)
    recipient: Mapped[str | None] = mapped_column(String(200))  # for releases of information
    signed_by: Mapped[str | None] = mapped_column(String(200))  # client, or guardian's name

    client: Mapped[Client] = relationship(back_populates="consents")


class Note(Synced, Base):
    """A clinical note's metadata (type, date, signatures): what every role may read.

    The words of the note live in :class:`NoteBody`, a table of its own, so a role without access to
    note contents (the front desk) can be sent the metadata without ever being sent a body. Once
    ``signed_at`` is set the note never changes (a second signature aside); it is amended by an
    addendum: a new note whose ``addendum_to`` names it.
    """

    __tablename__ = "notes"
    __table_args__ = (
        # A client's notes in date order: the chart's note list reads an index range, not a sort.
        Index("ix_notes_client_service_date", "client_id", "service_date"),
        # A clinician's notes of a period, and their unsigned backlog (a small partial index): what the
        # productivity metrics read for every clinician at once.
        Index("ix_notes_author_service_date", "author_id", "service_date"),
        Index("ix_notes_unsigned", "author_id", "service_date", sqlite_where=text("signed_at IS NULL"),
              postgresql_where=text("signed_at IS NULL")),
        # A session's notes in id order: the metrics count a session's first note (migration 0020).
        Index("ix_notes_appointment_first", "appointment_id", "id"),
        # What a body's (note_id, client_id) foreign key points at: a body's client is its note's.
        UniqueConstraint("id", "client_id"),
    )

    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id"))  # indexed first in the index above
    author_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    note_type: Mapped[str] = mapped_column(String(20), default="progress")  # progress, intake, addendum, …
    service_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="draft")  # draft, signed
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    cosigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cosigned_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    addendum_to: Mapped[str | None] = mapped_column(ForeignKey("notes.id"), index=True)
    # Charting (migration 0012): where the note came from, what it was written with, and its signature.
    # The session the note documents (migration 0015 made it a foreign key): none is allowed but
    # flagged. Sync puts appointments before notes (sync/tables.py) so the key holds everywhere.
    appointment_id: Mapped[str | None] = mapped_column(ForeignKey("appointments.id"), index=True)
    template_id: Mapped[str | None] = mapped_column(String(36))
    requires_cosign: Mapped[bool] = mapped_column(Boolean, default=False)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the associate's own signature
    submitted_by: Mapped[str | None] = mapped_column(String(36))
    content_hash: Mapped[str | None] = mapped_column(String(64))  # SHA-256 of the signed content
    prev_hash: Mapped[str | None] = mapped_column(String(64))  # the client's chain (domain/charting/chain.py)
    chain_hash: Mapped[str | None] = mapped_column(String(64))


class NoteBody(Synced, Base):
    """The content of one note, apart from its metadata so that only roles allowed to read it receive it.

    ``client_id`` repeats the note's client so the hub decides who may hold a body from the row
    alone. ``signed_at`` is copied from the note when it is signed: from then on the body is
    immutable too, and an edit to it is refused (amend by addendum instead).
    """

    __tablename__ = "note_bodies"
    # The hub decides who may hold a body from its client_id, so the database makes sure it is the
    # note's: a body filed under another client than its note is refused, on every device and the hub.
    __table_args__ = (ForeignKeyConstraint(["note_id", "client_id"], ["notes.id", "notes.client_id"]),)

    note_id: Mapped[str] = mapped_column(String(36), unique=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id"), index=True)
    body: Mapped[str] = mapped_column(Text, default="")
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEntry(Synced, Base):
    """One read or write of protected information. Appended, hash-chained, never edited."""

    __tablename__ = "audit_log"
    __table_args__ = (
        UniqueConstraint("device_id", "seq"),
        Index("ix_audit_log_client_at", "client_id", "at"),
    )

    seq: Mapped[int] = mapped_column(Integer)  # per device, from 1, no gaps
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    workstation: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[str | None] = mapped_column(String(36), index=True)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40), index=True)
    record_type: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[str | None] = mapped_column(String(36))
    client_id: Mapped[str | None] = mapped_column(String(36))
    summary: Mapped[str] = mapped_column(Text, default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class OutboxEntry(Base):
    """A local write waiting to be pushed to the hub, recorded in the same transaction as the write."""

    __tablename__ = "outbox"
    __table_args__ = {"sqlite_autoincrement": True}

    device_seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    change_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_id)
    table_name: Mapped[str] = mapped_column(String(40))
    row_id: Mapped[str] = mapped_column(String(36), index=True)
    op: Mapped[str] = mapped_column(String(10))  # insert, update, delete
    base_server_seq: Mapped[int | None] = mapped_column(BigInteger)
    changes: Mapped[str] = mapped_column(Text)  # JSON {field: [old, new]}
    row: Mapped[str] = mapped_column(Text)  # JSON of the row after the write
    schema_version: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    result_reason: Mapped[str | None] = mapped_column(Text)
    signature: Mapped[str | None] = mapped_column(Text)  # its author's, see store/signing.py


class SyncState(Base):
    """Small key/value facts about this store: device id, sync cursor, audit chain head."""

    __tablename__ = "sync_state"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


from mentalspace_desktop.store import chart_models as _chart_models  # noqa: E402,F401  (register tables)
from mentalspace_desktop.store import report_models as _report_models  # noqa: E402,F401
from mentalspace_desktop.store import supervision_models as _supervision_models  # noqa: E402,F401

SYNCED_TABLES: tuple[str, ...] = tuple(
    mapper.class_.__tablename__
    for mapper in Base.registry.mappers
    if getattr(mapper.class_, "__synced__", False)
)
