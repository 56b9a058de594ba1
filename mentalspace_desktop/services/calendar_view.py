"""Who and what can be booked, as the calendar's filters, columns and booking form list them.

Providers (clinicians and supervisors), rooms with their locations, locations, and the active
appointment types with what choosing one fills in. The appointments themselves come from the
scheduling services (``services/scheduling``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, String, bindparam, exists, func, null, select, type_coerce
from sqlalchemy.orm import Session

from mentalspace_desktop.domain.calendar_entry import CalendarEntry
from mentalspace_desktop.domain.records import record
from mentalspace_desktop.domain.roles import (
    Action,
    Resource,
    Role,
    Scope,
    allows,
    allows_any,
    relation_to_client,
    scope_for,
)
from mentalspace_desktop.domain.scheduling.risk import (
    ClientOdds,
    History,
    Risk,
    client_odds,
    level_of,
    no_show_risk,
    visit_score,
)
from mentalspace_desktop.domain.scheduling.times import day_bounds_utc
from mentalspace_desktop.errors import PermissionDenied
from mentalspace_desktop.services.permissions import require_any
from mentalspace_desktop.services.reminders.stats import RiskReminders, risk_reminders
from mentalspace_desktop.services.scheduling.appointments import AppointmentService, CalendarItem
from mentalspace_desktop.services.scheduling.common import HOLDING, MAX_VISIT
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.models import Client, User
from mentalspace_desktop.store.scheduling_models import (
    Appointment,
    AppointmentType,
    BusyBlock,
    Location,
    Room,
)
from mentalspace_desktop.store.types import UTCDateTime

NO_HISTORY = History()
RISKY = ("scheduled", "confirmed")  # the visits whose no-show risk is worth showing: still to come
PROVIDER_ROLES = (Role.CLINICIAN.value, Role.SUPERVISOR.value)


@dataclass(frozen=True)
class TypeChoice:
    """An appointment type as the booking form offers it."""

    id: str
    name: str
    category: str
    minutes: int
    cpt_code: str
    rate_cents: int | None
    colour: str
    telehealth_allowed: bool


@dataclass(frozen=True)
class CalendarResources:
    providers: list[tuple[str, str]]
    rooms: list[tuple[str, str]]
    rooms_at: dict[str, str]
    locations: list[tuple[str, str]]
    own_provider_id: str


def client_display_name(first: str, last: str, preferred: str | None) -> str:
    return f"{preferred or first} {last}".strip()


class CalendarViewService:
    """The bookable people, places and types."""

    def __init__(self, session: UserSession) -> None:
        self.session = session
        if not (allows_any(session.actor.role, Resource.SCHEDULE, Action.READ)
                or allows_any(session.actor.role, Resource.SCHEDULE_BUSY_FREE, Action.READ)):
            raise PermissionDenied(f"Your role ({session.actor.role.label}) does not allow you to view the schedule.")

    def resources(self) -> CalendarResources:
        with self.session.store.read() as s:
            providers = [(uid, name) for uid, name in s.execute(
                select(User.id, User.full_name)
                .where(User.role.in_(PROVIDER_ROLES), User.active.is_(True), User.deleted.is_(False))
                .order_by(User.full_name))]
            locations = [(lid, name) for lid, name in s.execute(
                select(Location.id, Location.name)
                .where(Location.active.is_(True), Location.deleted.is_(False)).order_by(Location.name))]
            room_rows = s.execute(
                select(Room.id, Room.name, Room.location_id)
                .where(Room.active.is_(True), Room.deleted.is_(False)).order_by(Room.name)).all()
        names = dict(locations)
        several = len(locations) > 1
        rooms = [(rid, f"{name} · {names.get(lid, '')}" if several else name) for rid, name, lid in room_rows]
        own = self.session.actor.user_id if self.session.actor.role.value in PROVIDER_ROLES else ""
        return CalendarResources(providers, rooms, {rid: lid for rid, _n, lid in room_rows}, locations, own)

    def types(self) -> list[TypeChoice]:
        """Active appointment types in name order."""
        with self.session.store.read() as s:
            rows = s.scalars(select(AppointmentType).where(
                AppointmentType.active.is_(True), AppointmentType.deleted.is_(False)).order_by(AppointmentType.name))
            return [TypeChoice(t.id, t.name, t.category, t.default_minutes, t.cpt_code or "", t.rate_cents,
                               t.color, t.telehealth_allowed) for t in rows]


class CalendarReadService(AppointmentService):
    """The calendar's read of a range: what ``AppointmentService.calendar`` returns, set-based.

    The screen reloads its visible range on every change from any workstation, so a week of 20
    providers (1,200 appointments) must come back in milliseconds. The inherited read loads each
    appointment as an ORM object and asks, per appointment, how its client stands to the user. This
    one selects the columns it shows (times as stored text, parsed in C), decides the permissions once
    per client's clinician (a handful of answers for a whole week: ``relation_to_client``/``allows``,
    covering included) and scores no-show risk in one pass over histories counted by the database —
    each client's part of the score once, each visit's part added to it; the factors are spelled out
    only where the risk is worth a badge. :meth:`entries` makes the screen's records directly.
    """

    def calendar(self, date_from: date, date_to: date, *, provider_ids: Sequence[str] | None = None,
                 room_ids: Sequence[str] | None = None, location_id: str | None = None,
                 include_cancelled: bool = True, with_risk: bool = True,
                 client_id: str | None = None) -> list[CalendarItem]:
        """As the inherited read; ``client_id`` narrows it to one client's appointments (the chart)."""
        return self._read(date_from, date_to, provider_ids=provider_ids, room_ids=room_ids,
                          location_id=location_id, include_cancelled=include_cancelled, with_risk=with_risk,
                          client_id=client_id, as_entries=False)  # type: ignore[return-value]

    def entries(self, date_from: date, date_to: date, *, client_id: str | None = None, brief: bool = False,
                ids: Sequence[str] | None = None) -> list[CalendarEntry]:
        """:meth:`calendar` as the screen shows it, made directly (``gui.calendar.service_source.entry_of``
        of each item, without a week's 1,200 items made first and copied).

        ``brief``: each appointment with only what places and colours its block — times, provider,
        room, location, type and its colour, status, whether the user may change it — and
        ``detailed=False``: no client's name, no room's words, no no-show risk. A view too crowded for
        words (a week of 20 providers: blocks a few pixels wide) needs no more, and reading no more
        is what makes it quick; the screen reads the details of a block when it shows them (``ids``).
        Busy time is never brief (it has no more to tell).

        ``ids``: only these appointments and busy blocks (of the range).
        """
        return self._read(date_from, date_to, client_id=client_id, as_entries=True, brief=brief,  # type: ignore[return-value]
                          ids=ids)

    def _read(self, date_from: date, date_to: date, *, provider_ids: Sequence[str] | None = None,
              room_ids: Sequence[str] | None = None, location_id: str | None = None, include_cancelled: bool = True,
              with_risk: bool = True, client_id: str | None = None, as_entries: bool, brief: bool = False,
              ids: Sequence[str] | None = None) -> list[CalendarItem] | list[CalendarEntry]:
        require_any(self.session, Resource.SCHEDULE_BUSY_FREE, Action.READ)
        actor = self.session.actor
        team = self.session.team_clinician_ids()
        a = Appointment
        with self.session.store.read() as s:
            tz = self.tz(s)
            zone = ZoneInfo(tz)
            lo, hi = day_bounds_utc(date_from, tz)[0], day_bounds_utc(date_to, tz)[1]

            def wall(moment: datetime) -> datetime:
                return moment.astimezone(zone).replace(tzinfo=None)

            reach = {scope_for(actor.role, Resource.SCHEDULE, act) for act in (Action.READ, Action.WRITE)}
            joined = not brief or not reach <= {Scope.ALL, Scope.NONE}
            every = scope_for(actor.role, Resource.SCHEDULE, Action.READ) is Scope.ALL
            q, b = _range_queries("full" if not brief else "brief" if joined else "brief_unjoined", every)
            range_values = {"lo": lo, "hi": hi, "scan_from": lo - MAX_VISIT}
            if provider_ids is not None:
                q = q.where(a.provider_id.in_(list(provider_ids)))
                b = b.where(BusyBlock.provider_id.in_(list(provider_ids)))
            if room_ids is not None:
                q = q.where(a.room_id.in_(list(room_ids)))
                b = b.where(BusyBlock.room_id.in_(list(room_ids)))
            if location_id is not None:
                q = q.where(a.location_id == location_id)
            if not include_cancelled:
                q = q.where(a.status.in_(HOLDING))
            if client_id is not None:
                q = q.where(a.client_id == client_id)
                b = b.where(BusyBlock.id.is_(None))  # a client's list has no one else's busy time
            if ids is not None:
                q = q.where(a.id.in_(list(ids)))
                b = b.where(BusyBlock.id.in_(list(ids)))
            core = s.connection()  # Core rows: these are columns, not entities (the ORM's row work is not needed)
            users = dict(core.execute(select(User.id, User.full_name)).all())
            types = {t: (n, c) for t, n, c in core.execute(
                select(AppointmentType.id, AppointmentType.name, AppointmentType.color))}
            rows = core.execute(q, range_values).all()
            decide = _Permissions(self, actor.user_id, team)
            if brief:
                return self._brief(rows, decide, joined=joined, wall=wall, users=users, types=types,
                                   busy=core.execute(b, range_values).all())
            rooms = dict(core.execute(select(Room.id, Room.name)).all())
            locations = dict(core.execute(select(Location.id, Location.name)).all())
            moments: dict[Any, tuple[datetime, datetime]] = {}

            def moment(stored: str | datetime) -> tuple[datetime, datetime]:
                """(UTC instant, wall time) of a stored instant. Visits start on the hour and half hour,
                so a week of 1,200 holds a hundred or so distinct instants: each is parsed once."""
                got = moments.get(stored)
                if got is None:
                    at = _instant(stored)
                    got = moments[stored] = (at, wall(at))
                return got

            out: list[tuple[datetime, str, str, Any]] = []  # (start, provider, id, record): the inherited order
            visible = []
            me = actor.user_id
            for row in rows:
                # Rows unpack as tuples (C speed); a group session (no client) stands as its provider does.
                client, provider, clinician = row[1], row[3], row[-1]
                may_read, may_write = decide(clinician if client else provider,
                                             covering=client is not None and provider == me)
                if may_read:
                    visible.append((row, may_write))
            now = self.now()
            client_ids = list({row[1] for row, _ in visible if row[1]})
            history = _histories(s, client_ids, now) if with_risk and visible else {}
            reminded = risk_reminders(s, client_ids, now) if with_risk and visible else RiskReminders()

            odds: dict[str, ClientOdds] = {}  # the client's part of the score: once per client, not per visit
            for row, editable in visible:
                (aid, client, group, provider, type_id, location, room, series, start_text, end_text, status, late,
                 telehealth, link, confirmation, checked_text, before, after, booked_text, first, last, _c) = row
                type_name, colour = types.get(type_id, _NO_TYPE)
                start_at, start_wall = moment(start_text)
                end_at, end_wall = moment(end_text)
                score: float | None = None  # the no-show score; ``worded`` its factors where worth a badge
                worded: Risk | None = None
                if with_risk and client and status in RISKY and start_at > now:
                    lead = _days_between(booked_text, start_text) if booked_text else 0.0
                    lead = lead if lead > 0.0 else 0.0
                    client_part = odds.get(client)
                    if client_part is None:
                        client_part = odds[client] = client_odds(history.get(client, NO_HISTORY),
                                                                 reminded.record(client))
                    state = reminded.state(aid)
                    hour, weekday, confirmed = start_wall.hour, start_wall.weekday(), confirmation == "confirmed"
                    score = visit_score(client_part, lead_days=lead, hour=hour, weekday=weekday, confirmed=confirmed,
                                        reminder=state)
                    if score >= WORDED:
                        worded = no_show_risk(history.get(client, NO_HISTORY), lead_days=lead, hour=hour,
                                              weekday=weekday, confirmed=confirmed, reminders=client_part.record,
                                              reminder=state)
                provider_name = users.get(provider, "")
                room_name, location_name = rooms.get(room or "", ""), locations.get(location or "", "")
                checked_in = _instant(checked_text) if checked_text else None
                if as_entries:  # as ``entry_of`` makes it of the item below (a test holds the two together)
                    made: Any = record(CalendarEntry, {
                        "id": aid, "start": start_wall, "end": end_wall, "provider_id": provider or "",
                        "provider_name": provider_name, "room_id": room or "",
                        "room_name": "" if telehealth else room_and_location(room_name, location_name),
                        "location_id": location or "", "client_id": client or "",
                        "client_name": f"{last}, {first}" if first is not None else (
                            "Group session" if group else ""),
                        "type_id": type_id or "", "type_name": type_name, "colour": colour or "#9aa5b1",
                        "status": "late_cancelled" if status == "cancelled" and late else status or "scheduled",
                        "telehealth": telehealth, "join_url": link or "",
                        "risk": score, "risk_factors": worded.explain() if worded is not None else "",
                        "busy_only": False, "series_id": series or "", "group_id": group or "",
                        "confirmed": confirmation == "confirmed", "confirmation": confirmation,
                        "checked_in_at": wall(checked_in) if checked_in is not None else None,
                        "editable": editable, "detailed": True})
                else:
                    made = record(CalendarItem, {  # every field, as the constructor would set them
                        "id": aid, "kind": "appointment", "provider_id": provider, "provider_name": provider_name,
                        "start_at": start_at, "end_at": end_at, "start_local": start_wall, "end_local": end_wall,
                        "room_id": room, "room_name": room_name, "location_id": location,
                        "location_name": location_name, "client_id": client,
                        "client_name": f"{last}, {first}" if first is not None else "", "type_id": type_id,
                        "type_name": type_name, "color": colour or "#9aa5b1", "status": status,
                        "late_cancel": late, "telehealth": telehealth, "meeting_link": link,
                        "confirmation": confirmation, "checked_in_at": checked_in, "series_id": series,
                        "group_id": group, "buffer_before": before, "buffer_after": after, "editable": editable,
                        "risk": worded if worded is not None or score is None else Risk(score, level_of(score), ())})
                out.append((start_at, provider_name, aid, made))
            seen = {aid for _s, _p, aid, _r in out}
            for blk in core.execute(b, range_values):
                if blk.id in seen:
                    continue
                name = users.get(blk.provider_id or "", "")
                if as_entries:
                    made = _busy_entry(blk, name, wall)
                else:
                    made = CalendarItem(
                        id=blk.id, kind="busy" if blk.kind == "appointment" else blk.kind, provider_id=blk.provider_id,
                        provider_name=name, start_at=blk.start_at, end_at=blk.end_at, start_local=wall(blk.start_at),
                        end_local=wall(blk.end_at), room_id=blk.room_id, buffer_before=blk.buffer_before,
                        buffer_after=blk.buffer_after,
                        type_name={"time_off": "Time off", "imported": "Busy"}.get(blk.kind, "Busy"))
                out.append((blk.start_at, name, blk.id, made))
        out.sort(key=_FIRST_THREE)
        return [made for _s, _p, _i, made in out]

    def _brief(self, rows: Sequence[Any], decide: _Permissions, *, joined: bool, wall: Callable[[datetime], datetime],
               users: dict[str, str], types: dict[str, tuple[str, str]], busy: Sequence[Any]) -> list[CalendarEntry]:
        """The brief entries of :meth:`entries` from the rows of its read, in no particular order (the
        calendar places them by time itself). ``joined``: the rows end with the client's clinician,
        on which the permission depends; otherwise it depends only on whether the user covers the
        visit (their own as provider), answered twice for the whole read."""
        me = self.session.actor.user_id
        answers = {} if joined else {cov: decide(None, covering=cov) for cov in (False, True)}
        walls: dict[Any, datetime] = {}  # a week of 1,200 visits starts and ends at a hundred or so times
        made: list[CalendarEntry] = []
        for aid, client, group, provider, type_id, location, room, start_text, end_text, status, late, whose in rows:
            covering = client is not None and provider == me
            may_read, may_write = decide(whose if client else provider, covering=covering) if joined \
                else answers[covering]
            if not may_read:
                continue
            start = walls.get(start_text)
            if start is None:
                start = walls[start_text] = wall(_instant(start_text))
            end = walls.get(end_text)
            if end is None:
                end = walls[end_text] = wall(_instant(end_text))
            type_name, colour = types.get(type_id, _NO_TYPE)
            made.append(record(CalendarEntry, {  # the fields left out read their defaults (domain.records)
                "id": aid, "start": start, "end": end, "provider_id": provider or "",
                "provider_name": users.get(provider, ""), "room_id": room or "", "location_id": location or "",
                "client_id": client or "", "type_id": type_id or "", "type_name": type_name,
                "colour": colour or _NO_TYPE[1],
                "status": "late_cancelled" if status == "cancelled" and late else status or "scheduled",
                "group_id": group or "", "editable": may_write, "detailed": False}))
        shown = {e.id for e in made}
        made += [_busy_entry(blk, users.get(blk.provider_id or "", ""), wall) for blk in busy if blk.id not in shown]
        return made


DAY = timedelta(days=1)
_FIRST_THREE = itemgetter(0, 1, 2)  # (start, provider's name, id): the inherited read's order
BUSY_KINDS = {"busy": "Busy", "time_off": "Time off", "imported": "Busy (other calendar)"}
"""What the screen calls another provider's time, by kind."""
WORDED = 0.25
"""From this score up the risk comes with its factors in words (the calendar badges it); below, its
score and level alone (the appointment's own dialog reads it in full through ``get``)."""


_NO_TYPE = ("", "#9aa5b1")
"""(name, colour) of an appointment whose type is not known here."""


@cache
def _range_queries(shape: str, every_visit_shown: bool) -> tuple[Select[*tuple[Any, ...]], Select[*tuple[Any, ...]]]:
    """The calendar read's two statements — its appointments in ``shape`` ("full", "brief", or
    "brief_unjoined": no client asked) and the busy time beside them — with the range as the
    parameters ``lo``, ``hi`` and ``scan_from``: built, and their cache key worked out, once rather
    than on every reload. ``every_visit_shown``: the user's role reads every appointment in full,
    so no appointment's busy twin is fetched.

    Instants are selected as the stored text, parsed by ``datetime.fromisoformat`` (C) rather than
    row by row through the column type; ``start_at > scan_from`` (the range's start less the longest
    visit) lets the start index bound the scan.
    """
    a = Appointment
    lo, hi = bindparam("lo", type_=UTCDateTime()), bindparam("hi", type_=UTCDateTime())
    bounds = (a.deleted.is_(False), a.start_at < hi, a.end_at > lo,
              a.start_at > bindparam("scan_from", type_=UTCDateTime()))
    placing = (a.id, a.client_id, a.group_id, a.provider_id, a.type_id, a.location_id, a.room_id)
    if shape == "brief_unjoined":  # what places and colours a block; the clinician's place left empty
        q = select(*placing, as_text(a.start_at), as_text(a.end_at), a.status, a.late_cancel, null()).where(*bounds)
    elif shape == "brief":  # ... and whose client it is (the permission)
        q = (select(*placing, as_text(a.start_at), as_text(a.end_at), a.status, a.late_cancel,
                    Client.primary_clinician_id)
             .outerjoin(Client, Client.id == a.client_id).where(*bounds))
    else:
        q = (select(*placing, a.series_id, as_text(a.start_at), as_text(a.end_at), a.status, a.late_cancel,
                    a.telehealth, a.meeting_link, a.confirmation, as_text(a.checked_in_at), a.buffer_before,
                    a.buffer_after, as_text(a.booked_at), Client.first_name, Client.last_name,
                    Client.primary_clinician_id)
             .outerjoin(Client, Client.id == a.client_id).where(*bounds))
    b = select(BusyBlock.id, BusyBlock.kind, BusyBlock.provider_id, BusyBlock.room_id, BusyBlock.start_at,
               BusyBlock.end_at, BusyBlock.buffer_before, BusyBlock.buffer_after).where(
        BusyBlock.deleted.is_(False), BusyBlock.active.is_(True), BusyBlock.start_at < hi, BusyBlock.end_at > lo)
    if every_visit_shown:  # every appointment here is shown in full: its busy twin need not even be fetched
        b = b.where(~exists().where(a.id == BusyBlock.id, a.deleted.is_(False)))
    return q, b


def _busy_entry(blk: Any, provider_name: str, wall: Callable[[datetime], datetime]) -> CalendarEntry:
    """A busy block as the screen shows it: the provider's time, no more."""
    return CalendarEntry(
        id=blk.id, start=wall(blk.start_at), end=wall(blk.end_at), provider_id=blk.provider_id or "",
        provider_name=provider_name, room_id=blk.room_id or "", type_name=BUSY_KINDS.get(
            "busy" if blk.kind == "appointment" else blk.kind, "Busy"),
        colour="#9aa5b1", busy_only=True, editable=False)


def room_and_location(room: str, location: str) -> str:
    """``CalendarItem.where`` of a visit in a room: "Room 2, Main office" (spelled out: 1,200 a week)."""
    return f"{room}, {location}" if room and location else room or location


def as_text(column: Any) -> Any:
    """The column as the store holds it (ISO text on SQLite), without the column type's per-row work."""
    return type_coerce(column, String)


def _instant(value: str | datetime) -> datetime:
    """A stored UTC instant (text on SQLite, a datetime elsewhere) as an aware datetime."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _days_between(earlier: str | datetime, later: str | datetime) -> float:
    """Days from one stored instant to another. Both stored alike (text on SQLite): subtracted as
    they parse, without making them aware first (a week's risk asks this 1,200 times)."""
    if isinstance(earlier, str) and isinstance(later, str):
        return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)) / DAY
    return (_instant(later) - _instant(earlier)) / DAY


class _Permissions:
    """What the user may do with appointments, decided once per client's clinician (and once for the
    visits they cover) instead of once per appointment."""

    def __init__(self, service: AppointmentService, user_id: str, team: frozenset[str]) -> None:
        self.service, self.user_id, self.team = service, user_id, team
        self.role = service.session.actor.role
        self.answers: dict[tuple[str | None, bool], tuple[bool, bool]] = {}

    def __call__(self, clinician_id: str | None, *, covering: bool) -> tuple[bool, bool]:
        """(may read, may change) an appointment whose client's clinician is ``clinician_id``."""
        key = (clinician_id, covering)
        answer = self.answers.get(key)
        if answer is None:
            relation = relation_to_client(user_id=self.user_id, role=self.role, team_clinician_ids=self.team,
                                          primary_clinician_id=clinician_id)
            answer = self.answers[key] = tuple(  # type: ignore[assignment]
                allows(self.role, Resource.SCHEDULE, act, relation)
                or (covering and self.service.covers(act, "client", self.user_id))
                for act in (Action.READ, Action.WRITE))
        return answer  # type: ignore[return-value]


def _histories(s: Session, client_ids: list[str], now: datetime) -> dict[str, History]:
    """Each client's past completed visits, no-shows and late cancellations, counted by the database.

    The risk shown is for visits still to come, and nothing between now and such a visit has an
    outcome yet, so the history before now is the history before the visit.
    """
    counts: dict[str, list[int]] = {}
    a = Appointment
    for start in range(0, len(client_ids), 500):
        for client_id, status, late, n in s.execute(
                select(a.client_id, a.status, a.late_cancel, func.count())
                .where(a.client_id.in_(client_ids[start:start + 500]), a.deleted.is_(False), a.start_at < now,
                       a.status.in_(("completed", "no_show", "cancelled")))
                .group_by(a.client_id, a.status, a.late_cancel)):
            if client_id is None:
                continue
            c = counts.setdefault(client_id, [0, 0, 0])
            if status == "completed":
                c[0] += n
            elif status == "no_show":
                c[1] += n
            elif late:
                c[2] += n
    return {cid: History(completed=c[0], no_shows=c[1], late_cancels=c[2]) for cid, c in counts.items()}
