"""The waitlist: entries with preferences and a priority explained; best matches for a freed slot;
offers and their outcomes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from mentalspace_desktop.domain.roles import Action, Resource
from mentalspace_desktop.domain.scheduling.times import to_local, to_utc
from mentalspace_desktop.domain.scheduling.waitlist import (
    TIMES_OF_DAY,
    URGENCY_POINTS,
    FreedSlot,
    Scored,
    Waiting,
    best_matches,
    priority,
)
from mentalspace_desktop.errors import NotFound, ValidationError
from mentalspace_desktop.services import audit
from mentalspace_desktop.services.events import WaitlistDidChange
from mentalspace_desktop.services.permissions import require_any
from mentalspace_desktop.services.scheduling.appointments import AppointmentService, BookingRequest, CalendarItem
from mentalspace_desktop.store.models import Client, Insurance
from mentalspace_desktop.store.scheduling_models import Appointment, WaitlistEntry, WaitlistOffer

OUTCOMES = ("accepted", "declined", "no_answer")


@dataclass
class WaitlistInput:
    client_id: str
    provider_id: str | None = None
    type_id: str | None = None
    days: frozenset[int] = frozenset()
    times: frozenset[str] = frozenset()
    insurance: str = ""
    urgency: str = "routine"
    telehealth_ok: bool = True


@dataclass(frozen=True)
class WaitlistItem:
    id: str
    client_id: str
    client_name: str
    provider_id: str | None
    provider_name: str
    type_id: str | None
    days: frozenset[int]
    times: frozenset[str]
    insurance: str
    urgency: str
    added_on: date
    status: str
    priority: Scored  # score and its explanation
    match: Scored | None = None  # for a freed slot: how well it fits, and why


@dataclass(frozen=True)
class OfferView:
    id: str
    entry_id: str
    client_name: str
    provider_name: str
    start_local: datetime
    outcome: str
    offered_by_name: str
    appointment_id: str | None


def _waiting(e: WaitlistEntry, insurance_on_file: str | None = None) -> Waiting:
    """The entry as the rules see it; its insurance is the one written on it, else the client's
    primary insurance on file (``insurance_on_file``)."""
    return Waiting(e.id, e.added_on, e.urgency, e.provider_id, e.type_id,
                   frozenset(int(d) for d in e.days.split(",") if d.strip().isdigit()),
                   frozenset(t for t in e.times.split(",") if t), e.telehealth_ok,
                   e.insurance or insurance_on_file)


class WaitlistService(AppointmentService):
    """Waiting clients, offers and outcomes."""

    def add(self, data: WaitlistInput) -> str:
        """Put a client on the waitlist (added today)."""
        if data.urgency not in URGENCY_POINTS:
            raise ValidationError({"urgency": "Choose routine, soon or urgent."})
        if not data.days <= set(range(7)):
            raise ValidationError({"days": "Choose days of the week."})
        if not data.times <= set(TIMES_OF_DAY):
            raise ValidationError({"times": "Choose morning, afternoon or evening."})
        with self.session.store.write(self.session.actor.user_id) as s:
            self.require(s, Action.WRITE, data.client_id, None)
            if s.get(Client, data.client_id) is None:
                raise NotFound("That client no longer exists.")
            e = WaitlistEntry(client_id=data.client_id, provider_id=data.provider_id, type_id=data.type_id,
                              days=",".join(str(d) for d in sorted(data.days)), times=",".join(sorted(data.times)),
                              insurance=data.insurance.strip() or None, urgency=data.urgency,
                              telehealth_ok=data.telehealth_ok, added_on=self.local_today(s), status="waiting")
            s.add(e)
            s.flush()
            audit.record(self.session, s, action="create", record_type="waitlist_entry", record_id=e.id,
                         client_id=e.client_id, summary=f"{data.urgency}")
        self.session.events.emit(WaitlistDidChange(e.id))
        return e.id

    def remove(self, entry_id: str, *, reason: str = "") -> None:
        """Take a client off the waitlist."""
        with self.session.store.write(self.session.actor.user_id) as s:
            e = self._entry(s, entry_id)
            e.status = "removed"
            audit.record(self.session, s, action="update", record_type="waitlist_entry", record_id=e.id,
                         client_id=e.client_id, summary=f"removed {reason}".strip())
        self.session.events.emit(WaitlistDidChange(entry_id))

    def _entry(self, s: Session, entry_id: str) -> WaitlistEntry:
        e = s.get(WaitlistEntry, entry_id)
        if e is None or e.deleted:
            raise NotFound("That waitlist entry no longer exists.")
        self.require(s, Action.WRITE, e.client_id, None)
        return e

    @staticmethod
    def _require_waiting(e: WaitlistEntry) -> None:
        """Refuse an offer or an acceptance once the client no longer waits: booked (perhaps by
        another desk a moment ago — a second acceptance would book them twice) or taken off the list.
        Read inside the write transaction, which holds the store's write lock, so two desks see each
        other's answer."""
        if e.status == "waiting":
            return
        message = ("This client was already booked from the waitlist; open their appointments to change the visit."
                   if e.status == "booked" else
                   "This client was taken off the waitlist; add them again to offer a slot.")
        raise ValidationError({"entry": message}, message)

    def entries(self) -> list[WaitlistItem]:
        """Everyone waiting that the user may see, highest priority first, each with its explanation."""
        require_any(self.session, Resource.SCHEDULE, Action.READ)
        with self.session.store.read() as s:
            today = self.local_today(s)
            rows = [e for e in s.scalars(select(WaitlistEntry).where(
                WaitlistEntry.deleted.is_(False), WaitlistEntry.status == "waiting"))
                if self.may(s, Action.READ, e.client_id, None)]
            items = [self._item(s, e, priority(_waiting(e), today)) for e in rows]
            items.sort(key=lambda i: (-i.priority.score, i.added_on))
            return items

    def _item(self, s: Session, e: WaitlistEntry, prio: Scored, match: Scored | None = None) -> WaitlistItem:
        c = s.get(Client, e.client_id)
        w = _waiting(e)
        return WaitlistItem(e.id, e.client_id, f"{c.last_name}, {c.first_name}" if c else "", e.provider_id,
                            self.user_name(s, e.provider_id), e.type_id, w.days, w.times, e.insurance or "",
                            e.urgency, e.added_on, e.status, prio, match)

    def matches_for_slot(self, provider_id: str, start_local: datetime, *, type_id: str | None = None,
                         telehealth: bool = False, limit: int = 5, freed_by: str | None = None
                         ) -> list[WaitlistItem]:
        """The waiting clients who best fit a freed slot (e.g. a cancellation), best first; ``freed_by``
        (the client who cancelled it) is left out."""
        require_any(self.session, Resource.SCHEDULE, Action.READ)
        with self.session.store.read() as s:
            today = self.local_today(s)
            rows = {e.id: e for e in s.scalars(select(WaitlistEntry).where(
                WaitlistEntry.deleted.is_(False), WaitlistEntry.status == "waiting"))
                if e.client_id != freed_by and self.may(s, Action.READ, e.client_id, None)}
            slot = FreedSlot(provider_id, start_local, type_id, telehealth, self._payers_seen_by(s, provider_id))
            own = self._primary_payers(s, [e.client_id for e in rows.values() if not e.insurance])
            waiting = [_waiting(e, own.get(e.client_id)) for e in rows.values()]
            best = best_matches(waiting, slot, today, limit)
            return [self._item(s, rows[w.id], priority(w, today), m) for w, m in best]

    @staticmethod
    def _primary_payers(s: Session, client_ids: list[str]) -> dict[str, str]:
        """Each client's primary insurance payer on file (clients without one are left out)."""
        out: dict[str, str] = {}
        wanted = sorted(set(client_ids))
        for start in range(0, len(wanted), 500):
            out.update(s.execute(select(Insurance.client_id, Insurance.payer_name).where(
                Insurance.client_id.in_(wanted[start:start + 500]), Insurance.rank == 1,
                Insurance.deleted.is_(False))).all())
        return out

    def _payers_seen_by(self, s: Session, provider_id: str) -> frozenset[str]:
        """The payers a provider takes, as the practice's records show it: the primary insurance of
        the clients on their caseload or booked with them in the last year. Empty (nothing known, e.g.
        a new provider) excludes no one."""
        since = self.now() - timedelta(days=365)
        seen = select(Appointment.client_id).where(
            Appointment.provider_id == provider_id, Appointment.deleted.is_(False), Appointment.start_at >= since)
        caseload = select(Client.id).where(Client.primary_clinician_id == provider_id, Client.deleted.is_(False))
        return frozenset(s.scalars(select(Insurance.payer_name).distinct().where(
            Insurance.rank == 1, Insurance.deleted.is_(False),
            or_(Insurance.client_id.in_(seen), Insurance.client_id.in_(caseload)))))

    def matches_for_cancelled(self, appointment_id: str, limit: int = 5) -> list[WaitlistItem]:
        """The best waitlist matches for the time a cancelled appointment freed."""
        item = self.get(appointment_id)
        return self.matches_for_slot(item.provider_id or "", item.start_local, type_id=item.type_id,
                                     telehealth=item.telehealth, limit=limit, freed_by=item.client_id)

    def offer(self, entry_id: str, provider_id: str, start_local: datetime, minutes: int, *,
              type_id: str | None = None) -> str:
        """Record that a slot was offered to a waiting client (outcome pending)."""
        with self.session.store.write(self.session.actor.user_id) as s:
            e = self._entry(s, entry_id)
            self._require_waiting(e)
            tz = self.tz(s)
            start = to_utc(start_local, tz)
            o = WaitlistOffer(entry_id=e.id, client_id=e.client_id, provider_id=provider_id,
                              type_id=type_id or e.type_id, start_at=start, end_at=start + timedelta(minutes=minutes),
                              offered_at=self.now(), offered_by=self.session.actor.user_id, outcome="pending")
            s.add(o)
            s.flush()
            audit.record(self.session, s, action="waitlist_offer", record_type="waitlist_offer", record_id=o.id,
                         client_id=e.client_id, summary=f"{start_local:%Y-%m-%d %H:%M}")
        self.session.events.emit(WaitlistDidChange(entry_id))
        return o.id

    def record_outcome(self, offer_id: str, outcome: str, *, book: bool = True) -> CalendarItem | None:
        """The client's answer: accepted (books the slot and takes them off the list when ``book``),
        declined or no answer (they stay on the list)."""
        if outcome not in OUTCOMES:
            raise ValidationError({"outcome": "Choose accepted, declined or no answer."})
        booked: str | None = None
        with self.session.store.write(self.session.actor.user_id) as s:
            o = s.get(WaitlistOffer, offer_id)
            if o is None or o.deleted:
                raise NotFound("That offer no longer exists.")
            e = self._entry(s, o.entry_id)
            if o.outcome != "pending":
                raise ValidationError({"outcome": f"This offer was already answered ({o.outcome})."})
            if outcome == "accepted":
                self._require_waiting(e)
            o.outcome, o.outcome_at = outcome, self.now()
            if outcome == "accepted" and book:
                if o.type_id is None:
                    raise ValidationError({"type": "Choose the kind of visit before booking the offer."})
                req = BookingRequest(provider_id=o.provider_id, type_id=o.type_id,
                                     start_local=to_local(o.start_at, self.tz(s)), client_id=o.client_id,
                                     minutes=int((o.end_at - o.start_at).total_seconds() // 60))
                a: Appointment = self._insert(s, req)
                booked = o.appointment_id = e.booked_appointment_id = a.id
                e.status = "booked"
            audit.record(self.session, s, action="waitlist_outcome", record_type="waitlist_offer", record_id=o.id,
                         client_id=o.client_id, summary=outcome)
        self.session.events.emit(WaitlistDidChange(o.entry_id))
        return self.get(booked) if booked else None

    def offers(self, entry_id: str) -> list[OfferView]:
        """Every offer made to this entry, newest first."""
        with self.session.store.read() as s:
            e = s.get(WaitlistEntry, entry_id)
            if e is None:
                raise NotFound("That waitlist entry no longer exists.")
            self.require(s, Action.READ, e.client_id, None)
            tz = self.tz(s)
            c = s.get(Client, e.client_id)
            name = f"{c.last_name}, {c.first_name}" if c else ""
            return [OfferView(o.id, o.entry_id, name, self.user_name(s, o.provider_id), to_local(o.start_at, tz),
                              o.outcome, self.user_name(s, o.offered_by), o.appointment_id)
                    for o in s.scalars(select(WaitlistOffer).where(WaitlistOffer.entry_id == entry_id)
                                       .order_by(WaitlistOffer.offered_at.desc()))]
