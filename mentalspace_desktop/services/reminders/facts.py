"""What the reminder engine reads about appointments: who, when, where, consent, rules and templates.

Loaded in bulk (one query per table for any number of appointments), because the job looks at every
appointment of the coming days on each run.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mentalspace_desktop.domain.reminders.outgoing import ChannelName
from mentalspace_desktop.domain.reminders.rules import Consents, Rule
from mentalspace_desktop.domain.reminders.templates import DEFAULTS, TemplateKind, Values
from mentalspace_desktop.domain.reminders.timing import QuietHours
from mentalspace_desktop.domain.scheduling.times import parse_hhmm, to_local
from mentalspace_desktop.services.reminders.group_members import attending, is_group_session
from mentalspace_desktop.store.models import Client, Practice, User
from mentalspace_desktop.store.reminder_models import ReminderRule, ReminderTemplate
from mentalspace_desktop.store.scheduling_models import Appointment, ContactPreference, Location

CHUNK = 500
MAX_CHAIN = 50  # reschedules followed back to the first appointment


@dataclass(frozen=True)
class Practiced:
    name: str
    phone: str
    time_zone: str


@dataclass(frozen=True)
class Context:
    """One appointment as reminders see it: only what a message may carry, plus where it goes."""

    appointment_id: str
    chain_id: str
    client_id: str
    provider_id: str
    type_id: str
    start_at: datetime
    end_at: datetime
    status: str
    client_zone: str
    language: str
    consents: Consents
    mobile: str
    email: str
    values: Values
    group_id: str = ""
    """Set for a group session: this context is one member's (``client_id``) reminder of it."""

    @property
    def member(self) -> str | None:
        """The member a group session's reminder is for (part of its idempotency key); None otherwise."""
        return self.client_id if self.group_id else None

    def contacts(self) -> dict[str, bool]:
        return {"sms": bool(self.mobile), "voice": bool(self.mobile), "email": bool(self.email)}

    def address(self, channel: str) -> str:
        return self.email if channel == "email" else self.mobile


def practice_of(s: Session) -> Practiced:
    p = s.scalar(select(Practice).where(Practice.deleted.is_(False)).limit(1))
    if p is None:
        return Practiced("", "", "America/New_York")
    return Practiced(p.name, p.phone or "", p.time_zone)


def rules_of(s: Session) -> list[Rule]:
    out = []
    for r in s.scalars(select(ReminderRule).where(ReminderRule.deleted.is_(False), ReminderRule.active.is_(True))
                       .order_by(ReminderRule.id)):
        out.append(rule_from_row(r))
    return out


def rule_from_row(r: ReminderRule) -> Rule:
    quiet = None
    if r.quiet_start and r.quiet_end:
        quiet = QuietHours(parse_hhmm(r.quiet_start), parse_hhmm(r.quiet_end))
    offsets = tuple(int(x) for x in r.offsets.split(",") if x.strip())
    channels: tuple[ChannelName, ...] = tuple(c for c in r.channels.split(",") if c in ("sms", "email", "voice"))  # type: ignore[misc]
    return Rule(offsets, channels, quiet, r.type_id, r.id)


class Templates:
    """The practice's templates, falling back to the built-in ones (language, then English)."""

    def __init__(self, rows: Iterable[ReminderTemplate]) -> None:
        self._rows = {(t.language, t.channel, t.kind): t for t in rows if t.active and not t.deleted}

    @classmethod
    def load(cls, s: Session) -> Templates:
        return cls(s.scalars(select(ReminderTemplate).where(ReminderTemplate.deleted.is_(False))))

    def find(self, language: str, channel: str, kind: TemplateKind) -> tuple[str, str, bool] | None:
        """(subject, body, allow_last_name): the practice's in the client's language, the built-in one in
        that language, then the same two in English; None when there is none at all."""
        for lang in dict.fromkeys((language, "English")):
            row = self._rows.get((lang, channel, kind.value))
            if row is not None:
                return row.subject, row.body, row.allow_last_name
            built_in = DEFAULTS.get((lang, channel, kind))  # type: ignore[arg-type]
            if built_in is not None:
                return built_in[0], built_in[1], False
        return None


def chain_roots(s: Session, appointment_ids: Sequence[str]) -> dict[str, str]:
    """Each appointment's first appointment (following reschedules back): the reminders' identity."""
    roots = {a: a for a in appointment_ids}
    frontier = {a: a for a in appointment_ids}  # current -> original id asked about
    for _ in range(MAX_CHAIN):
        if not frontier:
            break
        found: dict[str, str] = {}
        keys = sorted(frontier)
        for start in range(0, len(keys), CHUNK):
            for prev_id, nxt in s.execute(select(Appointment.id, Appointment.rescheduled_to).where(
                    Appointment.rescheduled_to.in_(keys[start:start + CHUNK]))):
                if nxt is not None:
                    found[prev_id] = frontier[nxt]
        for prev_id, asked in found.items():
            roots[asked] = prev_id
        frontier = found
    return roots


def latest_in_chain(s: Session, appointment_id: str) -> Appointment | None:
    """The appointment as it now stands: following ``rescheduled_to`` forward."""
    a = s.get(Appointment, appointment_id)
    for _ in range(MAX_CHAIN):
        if a is None or not a.rescheduled_to:
            return a
        nxt = s.get(Appointment, a.rescheduled_to)
        if nxt is None:
            return a
        a = nxt
    return a


def contexts(s: Session, appointments: Sequence[Appointment], practice: Practiced, *,
             member: str | None = None) -> list[Context]:
    """The reminder context of each appointment with a client, and of each member to remind of a group
    session (approved, enrolled on the day, not cancelled for it: services/reminders/group_members.py).
    ``member``: of a group session, that member's context only, whether still attending or not (an
    invitation to withdraw, a retry to decide on)."""
    groups = [a for a in appointments if is_group_session(a)]
    members = attending(s, groups) if member is None else {a.id: [member] for a in groups}
    pairs = [(a, a.client_id) for a in appointments if a.client_id] + \
        [(a, cid) for a in groups for cid in members.get(a.id, [])]
    if not pairs:
        return []
    rows = [a for a, _ in pairs]
    client_ids = sorted({cid for _, cid in pairs})
    clients: dict[str, Client] = {}
    prefs: dict[str, ContactPreference] = {}
    for start in range(0, len(client_ids), CHUNK):
        chunk = client_ids[start:start + CHUNK]
        clients.update({c.id: c for c in s.scalars(select(Client).where(Client.id.in_(chunk)))})
        prefs.update({p.client_id: p for p in s.scalars(select(ContactPreference).where(
            ContactPreference.client_id.in_(chunk), ContactPreference.deleted.is_(False)))})
    names = dict(s.execute(select(User.id, User.full_name)).all())
    locations = {loc.id: loc for loc in s.scalars(select(Location))}
    roots = chain_roots(s, [a.id for a in rows])
    out = []
    for a, client_id in pairs:
        c = clients.get(client_id)
        if c is None or c.deleted:
            continue
        pref = prefs.get(c.id)
        zone = (pref.time_zone if pref and pref.time_zone else None) or a.time_zone or practice.time_zone
        local = to_local(a.start_at, zone)
        loc = locations.get(a.location_id or "")
        where = "online" if a.telehealth else (", ".join(x for x in (loc.name, loc.address) if x) if loc else "")
        consents = Consents(
            sms=bool(pref and pref.allow_sms and pref.sms_consent_at and not pref.sms_opted_out_at),
            email=bool(pref.allow_email) if pref else True,
            voice=bool(pref and pref.allow_voice and pref.voice_consent_at),
            preferred=pref.channel if pref else None,
        )
        values = Values(
            first_name=(c.preferred_name or c.first_name).strip(),
            last_name=c.last_name,
            day=f"{local:%A, %B} {local.day}",
            time=f"{local:%I:%M %p}".lstrip("0"),
            provider=names.get(a.provider_id, ""),
            location=where,
            telehealth_link=(a.meeting_link or "") if a.telehealth else "",
            practice_name=practice.name,
            practice_phone=practice.phone,
        )
        out.append(Context(
            appointment_id=a.id, chain_id=roots.get(a.id, a.id), client_id=c.id, provider_id=a.provider_id,
            type_id=a.type_id, start_at=a.start_at, end_at=a.end_at, status=a.status, client_zone=zone,
            language=(pref.language if pref and pref.language else None) or c.preferred_language or "English",
            consents=consents, mobile=c.phone_mobile or "", email=c.email or "", values=values,
            group_id=(a.group_id or "") if is_group_session(a) else ""))
    return out


def preference_row(s: Session, client_id: str) -> ContactPreference:
    """The client's contact preferences, made (texts and calls off, no consent) when there are none."""
    pref = s.scalar(select(ContactPreference).where(ContactPreference.client_id == client_id))
    if pref is None:
        pref = ContactPreference(client_id=client_id, channel="", allow_sms=False, allow_email=True,
                                 allow_voice=False, reminder_hours=24, leave_voicemail=False)
        s.add(pref)
    pref.deleted = False
    return pref
