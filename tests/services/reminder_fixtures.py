"""A practice ready for reminders: a rule, a client with a mobile number, e-mail and SMS consent, and
a channel that records what it is handed."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from mentalspace_desktop.domain.reminders.outgoing import Accepted, ChannelName, Outgoing, SendFailed
from mentalspace_desktop.services.reminders.engine import EngineConfig, ReminderEngine
from mentalspace_desktop.services.reminders.ledger import StoreLedger
from mentalspace_desktop.services.scheduling.appointments import AppointmentService, BookingRequest
from mentalspace_desktop.store.reminder_models import ReminderRule
from mentalspace_desktop.store.scheduling_models import ContactPreference
from tests.services.scheduling_fixtures import Sched

MOBILE = "+14045550101"
EMAIL = "ana@example.org"
# Wednesday March 4 2026, 10:00 in New York (15:00 UTC)
WED10_LOCAL = datetime(2026, 3, 4, 10, 0)
WED10 = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)


class RecordingChannel:
    """Stands in for the provider (Twilio, the SMTP server): records each message it is handed and
    answers as a provider would. ``fail_with`` makes the next calls fail (transient or permanent)."""

    def __init__(self, name: ChannelName) -> None:
        self.name: ChannelName = name
        self.sent: list[Outgoing] = []
        self.fail_with: list[SendFailed] = []
        self._ids = itertools.count(1)

    def send(self, message: Outgoing) -> Accepted:
        if self.fail_with:
            raise self.fail_with.pop(0)
        self.sent.append(message)
        return Accepted(f"{self.name.upper()}{next(self._ids):06d}", "queued", 1)


@dataclass
class Clock:
    at: datetime

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **kw: float) -> None:
        self.at += timedelta(**kw)


@dataclass
class Reminders:
    sched: Sched
    client: str
    clock: Clock
    channels: dict[str, RecordingChannel] = field(default_factory=dict)

    def engine(self, **config: object) -> ReminderEngine:
        config.setdefault("organizer_email", "frontdesk@peachtree.example")
        return ReminderEngine(StoreLedger(self.sched.practice.admin.store), self.channels,
                              config=EngineConfig(**config), now=self.clock)  # type: ignore[arg-type]

    def book(self, start_local: datetime = WED10_LOCAL) -> str:
        svc = AppointmentService(self.sched.session("front_desk"), now=lambda: self.clock.at)
        return svc.book(BookingRequest(provider_id=self.sched.practice.users["clinician"],
                                       type_id=self.sched.individual, start_local=start_local,
                                       client_id=self.client, room_id=self.sched.room1,
                                       location_id=self.sched.location)).id


def set_rule(sched: Sched, offsets: str = "2880,120", channels: str = "sms,email",
             quiet: tuple[str, str] | None = None, type_id: str | None = None) -> None:
    with sched.practice.admin.store.write(sched.practice.admin.actor.user_id) as s:
        s.add(ReminderRule(type_id=type_id, offsets=offsets, channels=channels,
                           quiet_start=quiet[0] if quiet else None, quiet_end=quiet[1] if quiet else None,
                           active=True))


def set_practice_phone(sched: Sched, phone: str | None) -> None:
    from mentalspace_desktop.store.models import Practice

    with sched.practice.admin.store.write(sched.practice.admin.actor.user_id) as s:
        practice = s.scalar(select(Practice))
        assert practice is not None
        practice.phone = phone


def consent_sms(sched: Sched, client_id: str, *, channel: str = "sms", at: datetime | None = None) -> None:
    with sched.practice.admin.store.write(sched.practice.admin.actor.user_id) as s:
        pref = s.scalar(select(ContactPreference).where(ContactPreference.client_id == client_id))
        if pref is None:
            pref = ContactPreference(client_id=client_id, channel=channel, allow_sms=False, allow_email=True,
                                     allow_voice=False, reminder_hours=24, leave_voicemail=False)
            s.add(pref)
        pref.channel = channel
        pref.allow_sms, pref.sms_consent_at, pref.sms_consent_source = True, at or datetime(2026, 1, 5, tzinfo=UTC), \
            "intake form"
        pref.sms_opted_out_at = None


def reminders_for(sched: Sched, now: datetime) -> Reminders:
    client = sched.practice.add_client(clinician="clinician", last="Moreno", first="Lucia",
                                       phone_mobile="404-555-0101", email=EMAIL).id
    from mentalspace_desktop.domain.clients import ConsentKind
    from tests.services.scheduling_fixtures import consent

    consent(sched.practice, client, ConsentKind.INFORMED_CONSENT, ConsentKind.TELEHEALTH_CONSENT)
    set_practice_phone(sched, "(404) 555-0100")
    set_rule(sched)
    consent_sms(sched, client, channel="")
    r = Reminders(sched, client, Clock(now))
    r.channels = {"sms": RecordingChannel("sms"), "email": RecordingChannel("email"),
                  "voice": RecordingChannel("voice")}
    return r
