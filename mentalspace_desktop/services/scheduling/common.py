"""What every scheduling service shares: the clock, the practice's zone, permissions, collisions."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from mentalspace_desktop.domain.clients import ConsentKind, ConsentOnFile
from mentalspace_desktop.domain.roles import (
    Action,
    Relation,
    Resource,
    Role,
    Scope,
    allows,
    relation_to_client,
    scope_for,
)
from mentalspace_desktop.domain.scheduling.availability import Hours, describe_windows, windows_on, within_hours
from mentalspace_desktop.domain.scheduling.conflicts import Block, Candidate, Collision, CollisionKind, find_collisions
from mentalspace_desktop.domain.scheduling.guards import SETTINGS_KEY, GuardSettings
from mentalspace_desktop.domain.scheduling.status import HOLDS_TIME
from mentalspace_desktop.domain.scheduling.times import day_bounds_utc, parse_hhmm, to_local
from mentalspace_desktop.errors import NotFound, PermissionDenied
from mentalspace_desktop.services.permissions import require_any
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.models import Client, Consent, Practice, User
from mentalspace_desktop.store.scheduling_models import (
    Appointment,
    AppointmentStatusChange,
    AppointmentType,
    BusyBlock,
    GroupMember,
    Location,
    ProviderAvailability,
    Room,
)
from mentalspace_desktop.store.types import utcnow

HOLDING = tuple(s.value for s in HOLDS_TIME)
MAX_BUFFER = timedelta(hours=4)  # longest buffer or visit considered when looking for neighbours
MAX_VISIT = timedelta(hours=12)
LONGEST_OFF = timedelta(days=400)  # the longest time off or imported event seen from inside (a year's leave)


class SchedulingBase:
    """A signed-in user's view of the schedule. ``now`` is injectable so tests can fix the clock."""

    def __init__(self, session: UserSession, *, now: Callable[[], datetime] = utcnow) -> None:
        self.session = session
        self.now = now

    # -- practice ------------------------------------------------------------------------------

    @staticmethod
    def practice(s: Session) -> Practice:
        practice = s.scalar(select(Practice).where(Practice.deleted.is_(False)).limit(1))
        if practice is None:
            raise NotFound("The practice is not set up yet.")
        return practice

    def tz(self, s: Session) -> str:
        """The practice's time zone (its one column: the calendar asks on every reload)."""
        zone = s.scalar(select(Practice.time_zone).where(Practice.deleted.is_(False)).limit(1))
        if zone is None:
            raise NotFound("The practice is not set up yet.")
        return zone

    def guard_settings(self, s: Session) -> GuardSettings:
        raw = json.loads(self.practice(s).rule_settings or "{}")
        return GuardSettings.from_dict(raw.get(SETTINGS_KEY))

    def local_today(self, s: Session) -> date:
        return to_local(self.now(), self.tz(s)).date()

    # -- permissions ---------------------------------------------------------------------------

    def relation_for(self, s: Session, client_id: str | None, provider_id: str | None) -> Relation:
        """How an appointment stands to the user: by its client, or by its provider for a group session.

        Look-ups are remembered for the transaction ``s`` (a calendar asks for hundreds of rows).
        """
        cache: dict[str, str | None] = s.info.setdefault("schedule_clinicians", {})
        team: frozenset[str] | None = s.info.get("schedule_team")
        if team is None:
            team = s.info["schedule_team"] = self._team(s)
        if client_id is not None:
            if client_id not in cache:
                cache[client_id] = s.scalar(select(Client.primary_clinician_id).where(Client.id == client_id))
            clinician = cache[client_id]
        else:
            clinician = provider_id
        return relation_to_client(user_id=self.session.actor.user_id, role=self.session.actor.role,
                                  primary_clinician_id=clinician, team_clinician_ids=team)

    def _team(self, s: Session) -> frozenset[str]:
        if self.session.actor.role is not Role.SUPERVISOR:
            return frozenset()
        return frozenset(s.scalars(select(User.id).where(User.supervisor_id == self.session.actor.user_id,
                                                         User.deleted.is_(False))))

    def prefetch_clinicians(self, s: Session, client_ids: Iterable[str | None]) -> None:
        """Learn the clinician of many clients in one query (before checking many rows)."""
        cache: dict[str, str | None] = s.info.setdefault("schedule_clinicians", {})
        wanted = sorted({c for c in client_ids if c is not None and c not in cache})
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            found = dict(s.execute(select(Client.id, Client.primary_clinician_id).where(Client.id.in_(chunk))).all())
            for cid in chunk:
                cache[cid] = found.get(cid)

    def may(self, s: Session, action: Action, client_id: str | None, provider_id: str | None) -> bool:
        scope = scope_for(self.session.actor.role, Resource.SCHEDULE, action)
        if scope is Scope.ALL:
            return True
        if scope is Scope.NONE:
            return False
        return allows(self.session.actor.role, Resource.SCHEDULE, action, self.relation_for(s, client_id, provider_id))

    def covers(self, action: Action, client_id: str | None, provider_id: str | None) -> bool:
        """Whether the user holds an existing appointment as its provider for a client who is not
        theirs: a colleague's visit given to them while the colleague is away. They keep it as their
        own (client, type, status; check in, complete, cancel, move within their own day) for as long
        as they are its provider — but cannot book that client anew or hand the visit to someone else
        (those still follow the client's own clinician)."""
        return (client_id is not None and provider_id is not None and provider_id == self.session.actor.user_id
                and scope_for(self.session.actor.role, Resource.SCHEDULE, action) >= Scope.OWN)

    def may_appointment(self, s: Session, action: Action, client_id: str | None, provider_id: str | None) -> bool:
        """:meth:`may` for an appointment that exists, covering included (see :meth:`covers`)."""
        return self.covers(action, client_id, provider_id) or self.may(s, action, client_id, provider_id)

    def require_appointment(self, s: Session, action: Action, client_id: str | None, provider_id: str | None
                            ) -> None:
        """:meth:`require` for an appointment that exists, covering included."""
        if not self.covers(action, client_id, provider_id):
            self.require(s, action, client_id, provider_id)

    def require(self, s: Session, action: Action, client_id: str | None, provider_id: str | None) -> None:
        """PermissionDenied unless the user may read/change this client's (or provider's) schedule."""
        require_any(self.session, Resource.SCHEDULE, action)
        if not self.may(s, action, client_id, provider_id):
            verb = "view" if action is Action.READ else "change"
            raise PermissionDenied(f"This appointment is not on your caseload, so you cannot {verb} it.")

    @property
    def is_admin(self) -> bool:
        return self.session.actor.role.value == "admin"

    # -- look-ups ------------------------------------------------------------------------------

    @staticmethod
    def user_name(s: Session, user_id: str | None) -> str:
        if user_id is None:
            return ""
        if user_id == "client":  # a change the client made by answering a reminder (services/reminders)
            return "the client, by reply"
        return s.scalar(select(User.full_name).where(User.id == user_id)) or "a former colleague"

    @staticmethod
    def appointment_type(s: Session, type_id: str) -> AppointmentType:
        t = s.get(AppointmentType, type_id)
        if t is None or t.deleted:
            raise NotFound("That appointment type no longer exists.")
        return t

    @staticmethod
    def hours_of(s: Session, provider_id: str) -> list[Hours]:
        rows = s.scalars(select(ProviderAvailability).where(ProviderAvailability.provider_id == provider_id,
                                                            ProviderAvailability.deleted.is_(False)))
        return [Hours(r.weekday, parse_hhmm(r.start_time), parse_hhmm(r.end_time), r.location_id, r.valid_from,
                      r.valid_until, r.is_override, r.available) for r in rows]

    @staticmethod
    def consents_of(s: Session, client_id: str) -> list[ConsentOnFile]:
        rows = s.scalars(select(Consent).where(Consent.client_id == client_id, Consent.deleted.is_(False)))
        out = []
        for c in rows:
            try:
                kind = ConsentKind(c.kind)
            except ValueError:
                continue
            out.append(ConsentOnFile(kind, c.signed_on, c.expires_on, c.revoked_on))
        return out

    # -- collisions ----------------------------------------------------------------------------

    def blocks_near(
        self, s: Session, start: datetime, end: datetime, *, provider_id: str | None, client_id: str | None,
        room_id: str | None,
    ) -> list[Block]:
        """Everything that may collide with a visit from ``start`` to ``end``: busy blocks of the
        provider and room (every workstation holds them) and the client's own appointments.

        Labels say who and what only where this user may read the appointment; otherwise "busy".
        """
        lo, hi = start - MAX_VISIT - MAX_BUFFER, end + MAX_BUFFER
        who = [BusyBlock.provider_id == provider_id] if provider_id else []
        if room_id:
            who.append(BusyBlock.room_id == room_id)
        blocks: list[Block] = []
        if who:
            # Time off and imported events may last weeks (a vacation, a leave): those are found by
            # their end among the blocks of the last LONGEST_OFF, visits (at most MAX_VISIT long) by
            # their start; the (provider, start) index bounds both scans.
            for b in s.scalars(select(BusyBlock).where(
                    or_(*who), BusyBlock.active.is_(True), BusyBlock.deleted.is_(False),
                    BusyBlock.start_at < hi, BusyBlock.start_at > start - LONGEST_OFF,
                    BusyBlock.end_at > start - MAX_BUFFER,
                    or_(BusyBlock.start_at > lo, BusyBlock.kind != "appointment"))):
                blocks.append(Block(b.id, b.start_at, b.end_at, b.provider_id, None, b.room_id, b.buffer_before,
                                    b.buffer_after, b.kind, self._label(s, b)))
        if client_id:
            for a in s.scalars(select(Appointment).where(
                    Appointment.client_id == client_id, Appointment.status.in_(HOLDING),
                    Appointment.deleted.is_(False), Appointment.start_at < hi, Appointment.start_at > lo)):
                blocks.append(Block(a.id, a.start_at, a.end_at, None, a.client_id, None, 0, 0, "appointment",
                                    self.describe_appointment(s, a)))
            # A group member is taken during the group's sessions too.
            groups = list(s.scalars(select(GroupMember.group_id).where(
                GroupMember.client_id == client_id, GroupMember.status == "approved",
                GroupMember.deleted.is_(False))))
            if groups:
                for a in s.scalars(select(Appointment).where(
                        Appointment.group_id.in_(groups), Appointment.status.in_(HOLDING),
                        Appointment.deleted.is_(False), Appointment.start_at < hi, Appointment.start_at > lo)):
                    blocks.append(Block(a.id, a.start_at, a.end_at, None, client_id, None, 0, 0, "appointment",
                                        self.describe_appointment(s, a)))
        return blocks

    def _label(self, s: Session, b: BusyBlock) -> str:
        if b.kind == "time_off":
            return "time off"
        if b.kind == "imported":
            return "busy (from another calendar)"
        a = s.get(Appointment, b.id)
        if a is None or a.deleted or not self.may_appointment(s, Action.READ, a.client_id, a.provider_id):
            return "busy"
        return self.describe_appointment(s, a)

    def describe_appointment(self, s: Session, a: Appointment) -> str:
        """"Individual therapy with Rivera, Ana — Dr. Patel" (only call for appointments the user may read)."""
        t = s.get(AppointmentType, a.type_id)
        who = ""
        if a.client_id:
            c = s.get(Client, a.client_id)
            who = f" with {c.last_name}, {c.first_name}" if c else ""
        elif a.group_id:
            who = " (group)"
        return f"{t.name if t else 'Visit'}{who} — {self.user_name(s, a.provider_id)}"

    def collisions(
        self, s: Session, candidate: Candidate, *, type_id: str | None = None, check_hours: bool = True,
    ) -> list[Collision]:
        """Double bookings, time off, working hours and the type's daily maximum for ``candidate``."""
        blocks = self.blocks_near(s, candidate.start, candidate.end, provider_id=candidate.provider_id,
                                  client_id=candidate.client_id, room_id=candidate.room_id)
        found = find_collisions(candidate, blocks)
        tz = self.tz(s)
        start_local, end_local = to_local(candidate.start, tz), to_local(candidate.end, tz)
        if check_hours:
            hours = self.hours_of(s, candidate.provider_id)
            if not within_hours(start_local, end_local, hours, candidate.location_id):
                places = dict(s.execute(select(Location.id, Location.name)).all()) if candidate.location_id else None
                found.append(Collision(CollisionKind.OUTSIDE_HOURS, None, candidate.start, candidate.end,
                                       "works " + describe_windows(windows_on(start_local.date(), hours), places)))
        if type_id is not None:
            t = self.appointment_type(s, type_id)
            if t.max_per_day:
                lo, hi = day_bounds_utc(start_local.date(), tz)
                booked = s.scalars(select(Appointment.id).where(
                    Appointment.provider_id == candidate.provider_id, Appointment.type_id == type_id,
                    Appointment.status.in_(HOLDING), Appointment.deleted.is_(False),
                    Appointment.start_at >= lo, Appointment.start_at < hi)).all()
                if len([i for i in booked if i not in candidate.ignore_ids]) >= t.max_per_day:
                    found.append(Collision(CollisionKind.DAILY_MAXIMUM, None, lo, hi,
                                           f"{t.max_per_day} × {t.name} a day"))
        return found

    @staticmethod
    def office_of(s: Session, room_id: str | None, location_id: str | None, telehealth: bool) -> str | None:
        """The office a visit is at (its room's, else the one given); None for telehealth."""
        if telehealth:
            return None
        room = s.get(Room, room_id) if room_id else None
        return room.location_id if room is not None else location_id

    # -- writing -------------------------------------------------------------------------------

    def sync_busy_block(self, s: Session, a: Appointment) -> None:
        """Keep the appointment's busy/free twin (same id) in step, in the same transaction."""
        b = s.get(BusyBlock, a.id)
        active = a.status in HOLDING and not a.deleted
        if b is None:
            s.add(BusyBlock(id=a.id, provider_id=a.provider_id, room_id=a.room_id, start_at=a.start_at,
                            end_at=a.end_at, buffer_before=a.buffer_before, buffer_after=a.buffer_after,
                            kind="appointment", active=active))
            return
        for name, value in (("provider_id", a.provider_id), ("room_id", a.room_id), ("start_at", a.start_at),
                            ("end_at", a.end_at), ("buffer_before", a.buffer_before),
                            ("buffer_after", a.buffer_after), ("active", active), ("deleted", a.deleted)):
            if getattr(b, name) != value:
                setattr(b, name, value)

    def record_status(self, s: Session, a: Appointment, status: str, reason: str | None = None) -> None:
        now = self.now()
        a.status, a.status_at, a.status_by = status, now, self.session.actor.user_id
        s.add(AppointmentStatusChange(appointment_id=a.id, client_id=a.client_id, status=status, at=now,
                                      by=self.session.actor.user_id, reason=reason))


def ids(items: Iterable[str | None]) -> tuple[str, ...]:
    return tuple(sorted({i for i in items if i}))
