"""Who and what can be booked, as the calendar's filters, columns and booking form list them.

Providers (clinicians and supervisors), rooms with their locations, locations, and the active
appointment types with what choosing one fills in. The appointments themselves come from the
scheduling services (``services/scheduling``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from mentalspace_desktop.domain.roles import (
    Action,
    Relation,
    Resource,
    Role,
    Scope,
    allows,
    allows_any,
    relation_to_client,
    scope_for,
)
from mentalspace_desktop.domain.scheduling.risk import History, no_show_risk
from mentalspace_desktop.domain.scheduling.times import day_bounds_utc
from mentalspace_desktop.errors import PermissionDenied
from mentalspace_desktop.services.permissions import require_any
from mentalspace_desktop.services.scheduling.appointments import AppointmentService, CalendarItem
from mentalspace_desktop.services.scheduling.common import HOLDING
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.models import Client, User
from mentalspace_desktop.store.scheduling_models import (
    Appointment,
    AppointmentType,
    BusyBlock,
    Location,
    Room,
)

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
    """The calendar's read of a range: what ``AppointmentService.calendar`` returns, in a few
    column queries.

    The screen reloads its visible range on every change from any workstation, so a week of 20
    providers (1,200 appointments) must come back in tens of milliseconds. The inherited read loads
    each appointment as an ORM object and asks, per appointment, how its client stands to the user
    (two queries each); this one selects the columns it shows and decides permissions and no-show
    risk in bulk, with the same rules (``relation_to_client``/``allows``, ``no_show_risk``).
    """

    def calendar(self, date_from: date, date_to: date, *, provider_ids: Sequence[str] | None = None,
                 room_ids: Sequence[str] | None = None, location_id: str | None = None,
                 include_cancelled: bool = True, with_risk: bool = True,
                 client_id: str | None = None) -> list[CalendarItem]:
        """As the inherited read; ``client_id`` narrows it to one client's appointments (the chart)."""
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

            q = (select(a.id, a.client_id, a.group_id, a.provider_id, a.type_id, a.location_id, a.room_id,
                        a.series_id, a.start_at, a.end_at, a.status, a.late_cancel, a.telehealth, a.meeting_link,
                        a.confirmation, a.checked_in_at, a.buffer_before, a.buffer_after, a.booked_at,
                        a.start_local, Client.first_name, Client.last_name, Client.primary_clinician_id)
                 .outerjoin(Client, Client.id == a.client_id)
                 .where(a.deleted.is_(False), a.start_at < hi, a.end_at > lo))
            b = select(BusyBlock.id, BusyBlock.kind, BusyBlock.provider_id, BusyBlock.room_id, BusyBlock.start_at,
                       BusyBlock.end_at, BusyBlock.buffer_before, BusyBlock.buffer_after).where(
                BusyBlock.deleted.is_(False), BusyBlock.active.is_(True), BusyBlock.start_at < hi,
                BusyBlock.end_at > lo)
            if scope_for(actor.role, Resource.SCHEDULE, Action.READ) is Scope.ALL:
                # every appointment here is shown in full: its busy twin need not even be fetched
                b = b.where(~exists().where(a.id == BusyBlock.id, a.deleted.is_(False)))
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
            users = dict(s.execute(select(User.id, User.full_name)).all())
            types = {t: (n, c) for t, n, c in s.execute(
                select(AppointmentType.id, AppointmentType.name, AppointmentType.color))}
            rooms = dict(s.execute(select(Room.id, Room.name)).all())
            locations = dict(s.execute(select(Location.id, Location.name)).all())
            may = {(rel, act): allows(actor.role, Resource.SCHEDULE, act, rel)  # three relations: ask once
                   for rel in Relation for act in (Action.READ, Action.WRITE)}
            visible = []
            for row in s.execute(q):
                relation = relation_to_client(
                    user_id=actor.user_id, role=actor.role, team_clinician_ids=team,
                    primary_clinician_id=row.primary_clinician_id if row.client_id else row.provider_id)
                if may[(relation, Action.READ)]:
                    visible.append((row, may[(relation, Action.WRITE)]))
            now = self.now()
            client_ids = list({row.client_id for row, _ in visible if row.client_id})
            history = _histories(s, client_ids, now) if with_risk else {}
            items: list[CalendarItem] = []
            for row, editable in visible:
                type_name, colour = types.get(row.type_id, ("", "#9aa5b1"))
                risk = None
                if with_risk and row.client_id and row.status in RISKY and row.start_at > now:
                    lead = (row.start_at - (row.booked_at or row.start_at)).total_seconds() / 86400
                    risk = no_show_risk(history.get(row.client_id, NO_HISTORY),
                                        lead_days=max(0.0, lead), hour=row.start_local.hour,
                                        weekday=row.start_local.weekday(), confirmed=row.confirmation == "confirmed")
                items.append(CalendarItem(
                    id=row.id, kind="appointment", provider_id=row.provider_id,
                    provider_name=users.get(row.provider_id, ""), start_at=row.start_at, end_at=row.end_at,
                    start_local=wall(row.start_at), end_local=wall(row.end_at), room_id=row.room_id,
                    room_name=rooms.get(row.room_id or "", ""), location_id=row.location_id,
                    location_name=locations.get(row.location_id or "", ""), client_id=row.client_id,
                    client_name=f"{row.last_name}, {row.first_name}" if row.first_name is not None else "",
                    type_id=row.type_id, type_name=type_name, color=colour or "#9aa5b1", status=row.status,
                    late_cancel=row.late_cancel, telehealth=row.telehealth, meeting_link=row.meeting_link,
                    confirmation=row.confirmation, checked_in_at=row.checked_in_at, series_id=row.series_id,
                    group_id=row.group_id, buffer_before=row.buffer_before, buffer_after=row.buffer_after,
                    editable=editable, risk=risk))
            seen = {item.id for item in items}
            for blk in s.execute(b):
                if blk.id in seen:
                    continue
                items.append(CalendarItem(
                    id=blk.id, kind="busy" if blk.kind == "appointment" else blk.kind, provider_id=blk.provider_id,
                    provider_name=users.get(blk.provider_id or "", ""), start_at=blk.start_at, end_at=blk.end_at,
                    start_local=wall(blk.start_at), end_local=wall(blk.end_at), room_id=blk.room_id,
                    buffer_before=blk.buffer_before, buffer_after=blk.buffer_after,
                    type_name={"time_off": "Time off", "imported": "Busy"}.get(blk.kind, "Busy")))
        items.sort(key=lambda i: (i.start_at, i.provider_name, i.id))
        return items


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
