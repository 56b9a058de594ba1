"""The schedule's tables: appointment types, rooms, appointments, series, availability, time off,
waitlist, groups, busy/free blocks and client contact preferences.

Every table is synced (:class:`Synced`) and registered in ``sync/tables.py``. Appointments keep both
their wall-clock local start (so a weekly 10:00 stays at 10:00 across daylight-saving changes) and
their UTC instants (what conflicts, sorting and sync compare).

Busy/free: a clinician's workstation may know that another provider is busy, never with whom or why.
Every appointment therefore has a twin row in :class:`BusyBlock` with the same id, written in the
same transaction by the scheduling services, carrying provider, room and times only. Provider and
room conflicts are checked against busy blocks (which every workstation holds); the appointments
table itself only reaches workstations that may read the appointment's client.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from mentalspace_desktop.store.models import Base, Synced
from mentalspace_desktop.store.types import UTCDateTime


class LocalDateTime(TypeDecorator[datetime]):
    """A wall-clock time without zone ("2026-03-10T10:00:00"), stored as ISO text.

    Text on every database, so the value a device pushes (ISO text in JSON) is the value the hub and
    other devices store, with no time-zone arithmetic on the way.
    """

    impl = String(19)
    cache_ok = True

    def process_bind_param(self, value: datetime | str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        if parsed.tzinfo is not None:
            raise ValueError("a wall-clock time carries no time zone")
        return parsed.replace(microsecond=0).isoformat()

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else datetime.fromisoformat(str(value))


class Location(Synced, Base):
    """An office of the practice."""

    __tablename__ = "locations"

    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str | None] = mapped_column(String(300))
    phone: Mapped[str | None] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Room(Synced, Base):
    """A bookable room at a location."""

    __tablename__ = "rooms"

    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    capacity: Mapped[int] = mapped_column(Integer, default=2)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class AppointmentType(Synced, Base):
    """What kind of visit: fills duration and CPT code when chosen; buffers block neighbouring time."""

    __tablename__ = "appointment_types"

    name: Mapped[str] = mapped_column(String(80))
    category: Mapped[str] = mapped_column(String(30))  # domain.scheduling.types.Category
    default_minutes: Mapped[int] = mapped_column(Integer, default=50)
    buffer_before: Mapped[int] = mapped_column(Integer, default=0)  # minutes
    buffer_after: Mapped[int] = mapped_column(Integer, default=0)
    color: Mapped[str] = mapped_column(String(9), default="#4a7bd0")
    cpt_code: Mapped[str | None] = mapped_column(String(10))
    rate_cents: Mapped[int | None] = mapped_column(Integer)
    max_per_day: Mapped[int | None] = mapped_column(Integer)  # per provider; None: no limit
    telehealth_allowed: Mapped[bool] = mapped_column(Boolean, default=True)
    needs_cosign: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class AppointmentSeries(Synced, Base):
    """A recurring appointment: an RFC 5545 RRULE from a local start, with exceptions.

    ``exdates`` (JSON list of ISO dates) are occurrences cancelled or moved one by one; moved ones
    exist as appointments whose ``occurrence_date`` names the date they replace.
    """

    __tablename__ = "appointment_series"

    client_id: Mapped[str | None] = mapped_column(ForeignKey("clients.id"), index=True)
    group_id: Mapped[str | None] = mapped_column(String(36), index=True)
    provider_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    type_id: Mapped[str] = mapped_column(ForeignKey("appointment_types.id"))
    location_id: Mapped[str | None] = mapped_column(ForeignKey("locations.id"))
    room_id: Mapped[str | None] = mapped_column(ForeignKey("rooms.id"))
    telehealth: Mapped[bool] = mapped_column(Boolean, default=False)
    rrule: Mapped[str] = mapped_column(Text)
    start_local: Mapped[datetime] = mapped_column(LocalDateTime)  # wall-clock time of the first occurrence
    minutes: Mapped[int] = mapped_column(Integer)
    time_zone: Mapped[str] = mapped_column(String(64))
    exdates: Mapped[str] = mapped_column(Text, default="[]")
    ends_on: Mapped[date | None] = mapped_column(Date)  # set when "this and following" ends the series
    status: Mapped[str] = mapped_column(String(12), default="active")  # active, ended, cancelled


class Appointment(Synced, Base):
    """One visit. ``client_id`` is empty for a group session (members are in ``group_attendance``)."""

    __tablename__ = "appointments"
    __table_args__ = (
        Index("ix_appointments_provider_start", "provider_id", "start_at"),
        Index("ix_appointments_client_start", "client_id", "start_at"),
        Index("ix_appointments_room_start", "room_id", "start_at"),
        Index("ix_appointments_start", "start_at"),
        # the no-show score's count of each client's past visits, answered from the index alone
        Index("ix_appointments_client_history", "client_id", "status", "late_cancel", "start_at", "deleted"),
    )

    client_id: Mapped[str | None] = mapped_column(ForeignKey("clients.id"))
    group_id: Mapped[str | None] = mapped_column(String(36), index=True)
    provider_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    type_id: Mapped[str] = mapped_column(ForeignKey("appointment_types.id"))
    location_id: Mapped[str | None] = mapped_column(ForeignKey("locations.id"))
    room_id: Mapped[str | None] = mapped_column(ForeignKey("rooms.id"))
    series_id: Mapped[str | None] = mapped_column(ForeignKey("appointment_series.id"), index=True)
    occurrence_date: Mapped[date | None] = mapped_column(Date)  # the series date this one stands for
    start_local: Mapped[datetime] = mapped_column(LocalDateTime)  # wall clock in ``time_zone``
    time_zone: Mapped[str] = mapped_column(String(64))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    buffer_before: Mapped[int] = mapped_column(Integer, default=0)  # copied from the type when booked
    buffer_after: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(14), default="scheduled")  # domain.scheduling.status
    status_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_by: Mapped[str | None] = mapped_column(String(36))
    late_cancel: Mapped[bool] = mapped_column(Boolean, default=False)
    cancel_reason: Mapped[str | None] = mapped_column(String(200))
    rescheduled_to: Mapped[str | None] = mapped_column(String(36))
    telehealth: Mapped[bool] = mapped_column(Boolean, default=False)
    meeting_link: Mapped[str | None] = mapped_column(String(500))
    confirmation: Mapped[str] = mapped_column(String(12), default="unconfirmed")  # confirmed, declined, no_answer
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_via: Mapped[str | None] = mapped_column(String(12))  # phone, sms, email, voice, desk
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    override_reason: Mapped[str | None] = mapped_column(Text)  # an administrator's reason to book anyway
    booked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    booked_by: Mapped[str | None] = mapped_column(String(36))


class AppointmentStatusChange(Synced, Base):
    """Who moved an appointment to which status, and when: the life cycle's history."""

    __tablename__ = "appointment_status_history"

    appointment_id: Mapped[str] = mapped_column(ForeignKey("appointments.id"), index=True)
    client_id: Mapped[str | None] = mapped_column(ForeignKey("clients.id"), index=True)
    status: Mapped[str] = mapped_column(String(14))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    by: Mapped[str] = mapped_column(String(36))
    reason: Mapped[str | None] = mapped_column(String(300))


class BusyBlock(Synced, Base):
    """A provider (or room) is busy from ``start_at`` to ``end_at``: no client, no type, no reason.

    Kinds: ``appointment`` (the twin of the appointment with the same id), ``time_off`` (approved time
    off, same id as the request), ``imported`` (from an ``.ics`` file). Times are the visit's own;
    the buffers around them are kept apart. Every workstation holds every busy block: that is what
    busy/free means.
    """

    __tablename__ = "busy_blocks"
    __table_args__ = (
        Index("ix_busy_blocks_provider_start", "provider_id", "start_at"),
        Index("ix_busy_blocks_room_start", "room_id", "start_at"),
        Index("ix_busy_blocks_end", "end_at"),  # a range read: only the end bounds the past
    )

    provider_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    room_id: Mapped[str | None] = mapped_column(ForeignKey("rooms.id"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    buffer_before: Mapped[int] = mapped_column(Integer, default=0)  # minutes the provider keeps free
    buffer_after: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(12), default="appointment")
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # a cancelled appointment frees its time
    source_uid: Mapped[str | None] = mapped_column(String(300))  # an imported event's UID



class ScheduleClash(Synced, Base):
    """Two kept appointments that collide — booked on two workstations while apart — as the hub found
    them when the second arrived. The hub records and resolves these (never a workstation), so every
    front desk shows the same list after sync.

    Like a busy block it names no client and no type: only the two appointments' ids, the provider
    (whose devices may see it as busy/free) and the span, so a clinician's workstation that receives
    it learns nothing of a colleague's client.
    """

    __tablename__ = "schedule_clashes"

    first_id: Mapped[str] = mapped_column(String(36), index=True)  # the appointment kept first
    second_id: Mapped[str] = mapped_column(String(36), index=True)  # the one that collided with it
    kind: Mapped[str] = mapped_column(String(12))  # provider, client, room
    provider_id: Mapped[str | None] = mapped_column(String(36), index=True)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when the two overlap
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)  # open, resolved
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

class ProviderAvailability(Synced, Base):
    """Weekly working hours of a provider at a location, or a date-bounded override.

    A weekly row (``is_override`` false) applies from ``valid_from`` to ``valid_until`` (either open).
    An override row replaces the weekly hours on the days of its range: ``available`` false means
    not working at all then; true gives the hours of that row.
    """

    __tablename__ = "provider_availability"

    provider_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    location_id: Mapped[str | None] = mapped_column(ForeignKey("locations.id"))
    weekday: Mapped[int] = mapped_column(Integer)  # 0 Monday … 6 Sunday
    start_time: Mapped[str] = mapped_column(String(5))  # "HH:MM" local
    end_time: Mapped[str] = mapped_column(String(5))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    is_override: Mapped[bool] = mapped_column(Boolean, default=False)
    available: Mapped[bool] = mapped_column(Boolean, default=True)


class TimeOff(Synced, Base):
    """A provider's time-off request; approved ones block booking (and appear as busy blocks)."""

    __tablename__ = "time_off"

    provider_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="requested")  # requested, approved, denied
    requested_by: Mapped[str | None] = mapped_column(String(36))
    decided_by: Mapped[str | None] = mapped_column(String(36))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(String(300))


class WaitlistEntry(Synced, Base):
    """A client waiting for a slot, with what they prefer. ``days``: "0,2,4"; ``times``: "morning,evening"."""

    __tablename__ = "waitlist_entries"

    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id"), index=True)
    provider_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    type_id: Mapped[str | None] = mapped_column(ForeignKey("appointment_types.id"))
    days: Mapped[str] = mapped_column(String(20), default="")
    times: Mapped[str] = mapped_column(String(40), default="")
    insurance: Mapped[str | None] = mapped_column(String(120))
    urgency: Mapped[str] = mapped_column(String(10), default="routine")  # routine, soon, urgent
    telehealth_ok: Mapped[bool] = mapped_column(Boolean, default=True)
    added_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="waiting")  # waiting, booked, removed
    booked_appointment_id: Mapped[str | None] = mapped_column(String(36))


class WaitlistOffer(Synced, Base):
    """A freed slot offered to a waiting client, and what they said."""

    __tablename__ = "waitlist_offers"

    entry_id: Mapped[str] = mapped_column(ForeignKey("waitlist_entries.id"), index=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id"), index=True)
    provider_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    type_id: Mapped[str | None] = mapped_column(ForeignKey("appointment_types.id"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    offered_by: Mapped[str] = mapped_column(String(36))
    outcome: Mapped[str] = mapped_column(String(10), default="pending")  # pending, accepted, declined, no_answer
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    appointment_id: Mapped[str | None] = mapped_column(String(36))


class TherapyGroup(Synced, Base):
    """A therapy group: facilitators, capacity, enrollment and its recurring sessions (``series_id``)."""

    __tablename__ = "therapy_groups"

    name: Mapped[str] = mapped_column(String(120))
    type_id: Mapped[str] = mapped_column(ForeignKey("appointment_types.id"))
    facilitator_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    cofacilitator_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    capacity: Mapped[int] = mapped_column(Integer, default=8)
    enrollment: Mapped[str] = mapped_column(String(6), default="open")  # open, closed
    screening_required: Mapped[bool] = mapped_column(Boolean, default=False)
    location_id: Mapped[str | None] = mapped_column(ForeignKey("locations.id"))
    room_id: Mapped[str | None] = mapped_column(ForeignKey("rooms.id"))
    series_id: Mapped[str | None] = mapped_column(String(36))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class GroupMember(Synced, Base):
    """A client in a group. ``screening_notes`` is clinical text: sealed (store/clinical_seal.py)."""

    __tablename__ = "group_members"

    group_id: Mapped[str] = mapped_column(ForeignKey("therapy_groups.id"), index=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="screening")  # screening, approved, declined, left
    screening_notes: Mapped[str | None] = mapped_column(Text)
    approved_by: Mapped[str | None] = mapped_column(String(36))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    joined_on: Mapped[date | None] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)


class GroupAttendance(Synced, Base):
    """One member at one group session: attended, absent or cancelled."""

    __tablename__ = "group_attendance"

    group_id: Mapped[str] = mapped_column(ForeignKey("therapy_groups.id"), index=True)
    appointment_id: Mapped[str] = mapped_column(ForeignKey("appointments.id"), index=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id"), index=True)
    status: Mapped[str] = mapped_column(String(10))  # attended, absent, cancelled
    recorded_by: Mapped[str] = mapped_column(String(36))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ContactPreference(Synced, Base):
    """How a client wants to be reminded and reached; what reminders will read."""

    __tablename__ = "contact_preferences"

    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id"), unique=True)
    channel: Mapped[str] = mapped_column(String(8), default="sms")  # preferred: sms, email, voice, none
    # Consent per channel, with when and how it was given (migration 0018). A text is never sent
    # without SMS consent on record: ``allow_sms`` is off until someone records it with its source.
    allow_sms: Mapped[bool] = mapped_column(Boolean, default=False)
    allow_email: Mapped[bool] = mapped_column(Boolean, default=True)
    allow_voice: Mapped[bool] = mapped_column(Boolean, default=False)
    reminder_hours: Mapped[int] = mapped_column(Integer, default=24)
    leave_voicemail: Mapped[bool] = mapped_column(Boolean, default=False)
    sms_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sms_consent_source: Mapped[str | None] = mapped_column(String(60))  # "intake form", "text START", …
    sms_opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # STOP (or a carrier opt-out word)
    email_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email_consent_source: Mapped[str | None] = mapped_column(String(60))
    voice_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voice_consent_source: Mapped[str | None] = mapped_column(String(60))
    language: Mapped[str | None] = mapped_column(String(40))  # reminders' language; None: the client's
    time_zone: Mapped[str | None] = mapped_column(String(64))  # for quiet hours; None: the appointment's
