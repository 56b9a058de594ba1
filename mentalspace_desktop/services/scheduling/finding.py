"""Finding time: "find a slot" by form (providers, type, date range, time of day) or by a plain
phrase ("Dr. Patel next Tuesday afternoon"), parsed offline."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from mentalspace_desktop.domain.roles import Action, Resource
from mentalspace_desktop.domain.scheduling.availability import Hours
from mentalspace_desktop.domain.scheduling.conflicts import Block
from mentalspace_desktop.domain.scheduling.phrases import SlotPhrase, parse_phrase
from mentalspace_desktop.domain.scheduling.slots import Slot, SlotQuery, enough, find_slots
from mentalspace_desktop.domain.scheduling.times import day_bounds_utc, parse_hhmm, to_local
from mentalspace_desktop.errors import ValidationError
from mentalspace_desktop.services.permissions import require_any
from mentalspace_desktop.services.scheduling.availability import PROVIDER_ROLES
from mentalspace_desktop.services.scheduling.common import HOLDING, SchedulingBase
from mentalspace_desktop.store.models import User
from mentalspace_desktop.store.scheduling_models import (
    Appointment,
    AppointmentType,
    BusyBlock,
    ProviderAvailability,
)

MAX_RANGE_DAYS = 92
CHUNK_DAYS = 7


@dataclass(frozen=True)
class FoundSlot:
    slot: Slot
    provider_name: str


@dataclass(frozen=True)
class PhraseResult:
    phrase: SlotPhrase
    type_id: str | None
    slots: list[FoundSlot]
    understood: str  # what was understood, in words, for the panel to echo


class SlotFinder(SchedulingBase):
    """Ranked free slots from working hours minus busy time (buffers included)."""

    def find(self, *, type_id: str, date_from: date, date_to: date, provider_ids: Sequence[str] | None = None,
             time_of_day: str | None = None, after: time | None = None, before: time | None = None,
             weekdays: frozenset[int] = frozenset(), limit: int = 20) -> list[FoundSlot]:
        """Free slots for a visit of ``type_id`` (its length and buffers), best first."""
        require_any(self.session, Resource.SCHEDULE_BUSY_FREE, Action.READ)
        if date_to < date_from:
            raise ValidationError({"date_to": "The last day is before the first."})
        if (date_to - date_from).days > MAX_RANGE_DAYS:
            raise ValidationError({"date_to": "Search at most three months at a time."})
        if time_of_day not in (None, "morning", "afternoon", "evening"):
            raise ValidationError({"time_of_day": "Choose morning, afternoon or evening."})
        with self.session.store.read() as s:
            t = self.appointment_type(s, type_id)
            tz = self.tz(s)
            names = dict(s.execute(select(User.id, User.full_name).where(
                User.role.in_(PROVIDER_ROLES), User.active.is_(True), User.deleted.is_(False))).all())
            pids = [p for p in (provider_ids or sorted(names, key=lambda p: names[p])) if p in names]
            hours: dict[str, list[Hours]] = defaultdict(list)
            for r in s.scalars(select(ProviderAvailability).where(ProviderAvailability.provider_id.in_(pids),
                                                                  ProviderAvailability.deleted.is_(False))):
                hours[r.provider_id].append(Hours(r.weekday, parse_hhmm(r.start_time), parse_hhmm(r.end_time),
                                                  r.location_id, r.valid_from, r.valid_until, r.is_override,
                                                  r.available))
            if pids and not any(hours.get(p) for p in pids):
                # Booking does not require hours (they are opt-in), but no slot can be suggested without them.
                who = ", ".join(names[p] for p in pids[:3]) + (" and others" if len(pids) > 3 else "")
                raise ValidationError({"provider_ids": (
                    f"No working hours are set for {who}, so no free slot can be suggested. "
                    "Set them under Availability, or book the time directly on the calendar.")})
            query = SlotQuery(tuple(pids), t.default_minutes, date_from, date_to, t.buffer_before, t.buffer_after,
                              time_of_day, after, before, weekdays, limit=limit, rank_from=date_from)
            # A week at a time: most searches are answered by the first days that have room, so the
            # busy time of later weeks is read only when it could matter.
            slots: list[Slot] = []
            chunk_from = date_from
            while chunk_from <= date_to:
                chunk_to = min(date_to, chunk_from + timedelta(days=CHUNK_DAYS - 1))
                busy = self._busy(s, pids, tz, chunk_from, chunk_to)
                chunk = replace(query, date_from=chunk_from, date_to=chunk_to, limit=10_000)
                full = self._full_days(s, t, pids, tz, chunk_from, chunk_to)
                slots += [sl for sl in find_slots(chunk, tz=tz, hours=hours, busy=busy, now=self.now())
                          if (sl.provider_id, sl.start_local.date()) not in full]
                chunk_from = chunk_to + timedelta(days=1)
                if enough(query, slots, chunk_from):
                    break
            slots.sort(key=lambda sl: (-sl.score, sl.start_utc))
            slots = slots[:limit]
            return [FoundSlot(sl, names.get(sl.provider_id, "")) for sl in slots]

    @staticmethod
    def _full_days(s: Session, t: AppointmentType, pids: list[str], tz: str, date_from: date, date_to: date
                   ) -> set[tuple[str, date]]:
        """(provider, local day) pairs where the type's daily maximum is already booked: booking
        there would be refused, so no slot is offered."""
        if not t.max_per_day:
            return set()
        lo, _ = day_bounds_utc(date_from, tz)
        _, hi = day_bounds_utc(date_to, tz)
        per_day: Counter[tuple[str, date]] = Counter(
            (pid, to_local(at, tz).date()) for pid, at in s.execute(select(Appointment.provider_id,
                                                                           Appointment.start_at).where(
                Appointment.provider_id.in_(pids), Appointment.type_id == t.id, Appointment.status.in_(HOLDING),
                Appointment.deleted.is_(False), Appointment.start_at >= lo, Appointment.start_at < hi)))
        return {key for key, n in per_day.items() if n >= t.max_per_day}

    @staticmethod
    def _busy(s: Session, pids: list[str], tz: str, date_from: date, date_to: date) -> dict[str, list[Block]]:
        lo, _ = day_bounds_utc(date_from, tz)
        _, hi = day_bounds_utc(date_to, tz)
        busy: dict[str, list[Block]] = defaultdict(list)
        # Columns, not entities: thousands of blocks over a few weeks of 20 providers.
        for b in s.execute(select(
                BusyBlock.id, BusyBlock.start_at, BusyBlock.end_at, BusyBlock.provider_id, BusyBlock.room_id,
                BusyBlock.buffer_before, BusyBlock.buffer_after, BusyBlock.kind).where(
                BusyBlock.provider_id.in_(pids), BusyBlock.active.is_(True), BusyBlock.deleted.is_(False),
                BusyBlock.start_at < hi + timedelta(hours=4), BusyBlock.end_at > lo - timedelta(hours=4))):
            busy[b.provider_id or ""].append(Block(b.id, b.start_at, b.end_at, b.provider_id, None, b.room_id,
                                                   b.buffer_before, b.buffer_after, b.kind))
        return busy

    def find_by_phrase(self, text: str, *, default_type_id: str | None = None, limit: int = 20) -> PhraseResult:
        """Parse ``text`` ("any intake slot this week after 4pm") and find slots for it."""
        if not text.strip():
            raise ValidationError({"phrase": "Type what you are looking for, e.g. “Dr. Patel next Tuesday afternoon”."})
        with self.session.store.read() as s:
            providers = dict(s.execute(select(User.id, User.full_name).where(
                User.role.in_(PROVIDER_ROLES), User.active.is_(True), User.deleted.is_(False))).all())
            types = dict(s.execute(select(AppointmentType.id, AppointmentType.name).where(
                AppointmentType.active.is_(True), AppointmentType.deleted.is_(False))).all())
            today = self.local_today(s)
        phrase = parse_phrase(text, today=today, providers=providers, types=types)
        if phrase.understood_nothing:
            unknown = ", ".join(f"“{w}”" for w in phrase.ignored) or f"“{text.strip()}”"
            raise ValidationError({"phrase": (
                f"Could not read that: it names no provider, appointment type, day or time of day. "
                f"Not understood: {unknown}. Try e.g. “Dr. Patel next Tuesday afternoon” or "
                "“any intake slot this week after 4pm”.")})
        type_id = phrase.type_id or default_type_id or (sorted(types, key=lambda k: types[k])[0] if types else None)
        if type_id is None:
            raise ValidationError({"type": "No appointment types are set up yet."})
        assert phrase.date_from is not None and phrase.date_to is not None
        slots = self.find(type_id=type_id, date_from=max(phrase.date_from, today), date_to=phrase.date_to,
                          provider_ids=phrase.provider_ids or None, time_of_day=phrase.time_of_day,
                          after=phrase.after, before=phrase.before, limit=limit)
        who = ", ".join(providers[p] for p in phrase.provider_ids) or "any provider"
        understood = f"{types[type_id]} with {who}; {phrase.describe()}"
        if phrase.ignored:
            understood += f" (not understood, left out: {', '.join(phrase.ignored)})"
        return PhraseResult(phrase, type_id, slots, understood)
