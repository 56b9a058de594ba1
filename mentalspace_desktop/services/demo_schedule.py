"""The demo practice's schedule: appointment types, two offices with rooms, working hours, recurring
weekly and fortnightly clients, intakes, medication checks, two groups with attendance, time off, a
waitlist, contact preferences, ten weeks of past statuses (no-shows included) and the coming six
weeks.

Placed without collisions by construction (each provider's weekly slots are reserved before they are
used; rooms are taken from a pool) and written straight into store sessions like the rest of the demo:
every row goes through the outbox, every appointment gets its busy/free twin. No-shows follow a hidden
per-client tendency plus lead time, hour and confirmation, so the no-show score has something real to
find (``benchmarks/bench_no_show_risk.py`` measures how much).
"""

from __future__ import annotations

import json
import math
import random
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from mentalspace_desktop.domain.clients import ConsentOnFile
from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.domain.scheduling.guards import GuardSettings, booking_refusals
from mentalspace_desktop.domain.scheduling.recurrence import Occurrence, expand
from mentalspace_desktop.domain.scheduling.times import to_utc
from mentalspace_desktop.services.demo_plan import TIME_ZONE, ClientPlan, DemoPlan
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.models import Client
from mentalspace_desktop.store.scheduling_models import (
    Appointment,
    AppointmentSeries,
    AppointmentStatusChange,
    AppointmentType,
    BusyBlock,
    ContactPreference,
    GroupAttendance,
    GroupMember,
    Location,
    ProviderAvailability,
    Room,
    TherapyGroup,
    TimeOff,
    WaitlistEntry,
)
from mentalspace_desktop.store.types import utcnow

PAST_WEEKS = 10
AHEAD_WEEKS = 6
LINK = "https://telehealth.peachtree-counseling.example/s/"

# name, category, minutes, buffer before, buffer after, colour, CPT, rate (cents), max a day, telehealth
TYPES = (
    ("Individual therapy 53 min", "individual", 55, 0, 5, "#3d7dd8", "90837", 14500, None, True),
    ("Individual therapy 45 min", "individual", 45, 0, 15, "#5aa2e0", "90834", 11500, None, True),
    ("Intake assessment", "intake", 60, 0, 10, "#8e5bd0", "90791", 17500, 2, True),
    ("Family therapy", "family", 50, 5, 10, "#d0883d", "90847", 13000, None, True),
    ("Couples therapy", "couples", 50, 5, 10, "#d05b8e", "90847", 13000, None, True),
    ("Medication management", "medication", 25, 0, 5, "#3da88a", "99214", 16000, None, True),
    ("Group therapy", "group", 90, 0, 15, "#c9a227", "90853", 4500, None, False),
    ("Psychological testing", "testing", 120, 0, 15, "#7a8791", "96130", 26000, 1, False),
)

LOCATIONS = (("Midtown office", "1100 Peachtree St NE, Suite 400, Atlanta, GA 30309", 5),
             ("Decatur office", "315 W Ponce de Leon Ave, Suite 210, Decatur, GA 30030", 3))

# provider: (location index, {weekday: (start hour, end hour)})
HOURS: dict[str, tuple[int, dict[int, tuple[int, int]]]] = {
    "marcus": (0, {0: (9, 17), 1: (9, 17), 2: (9, 17), 3: (9, 17)}),
    "elena": (0, {0: (10, 18), 1: (10, 18), 2: (10, 20), 3: (10, 18), 4: (9, 13)}),
    "jordan": (0, {0: (9, 17), 1: (12, 20), 2: (9, 17), 3: (12, 20), 4: (9, 15)}),
    "tyler": (1, {0: (8, 16), 1: (8, 16), 2: (8, 16), 3: (8, 16), 4: (8, 14)}),
    "priya": (1, {1: (9, 17), 2: (9, 17), 3: (11, 19), 4: (9, 17), 5: (9, 13)}),
    "hannah": (0, {0: (11, 19), 1: (11, 19), 2: (11, 19), 3: (11, 19)}),
    "samuel": (1, {0: (8, 16), 1: (8, 16), 2: (8, 16), 3: (8, 16), 4: (8, 16)}),
    "aisha": (0, {0: (9, 17), 1: (13, 19), 2: (9, 17), 4: (9, 17)}),
    "raj": (0, {1: (8, 16), 3: (8, 16)}),
}
GROUPS = (
    # name, type index, facilitator, co-facilitator, weekday, hour, minute, capacity, enrollment, screening
    ("DBT skills group", 6, "elena", "priya", 2, 17, 30, 8, "closed", True),
    ("Anxiety management group", 6, "jordan", None, 3, 18, 0, 10, "open", False),
)
DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass
class _Booker:
    """Who is busy when (per provider, client and room), so nothing placed here collides."""

    busy: dict[str, list[tuple[datetime, datetime]]] = field(default_factory=lambda: defaultdict(list))

    def free(self, key: str, start: datetime, end: datetime) -> bool:
        return all(not (s < end and start < e) for s, e in self.busy[key])

    def take(self, key: str, start: datetime, end: datetime) -> None:
        self.busy[key].append((start, end))


@dataclass
class _Planned:
    """One appointment to write."""

    provider: str  # staff key
    type: AppointmentType
    occ: Occurrence
    room: str | None
    location: str | None
    client: str | None
    telehealth: bool
    booked_at: datetime
    series_id: str | None = None
    group_id: str | None = None


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def write_demo_schedule(session: UserSession, plan: DemoPlan, ids: dict[str, str], *,
                        now: datetime | None = None) -> None:
    """Add the schedule to a freshly built demo store (after its staff and clients). Random choices
    follow the plan's own seed (through its TOTP secrets), so one seed gives one schedule."""
    rng = random.Random(zlib.crc32("".join(sorted(plan.totp_secrets.values())).encode()))
    now = now or (datetime.now(UTC) if plan.today == date.today()
                  else to_utc(datetime.combine(plan.today, time(12, 30)), TIME_ZONE))
    store = session.store
    admin = session.actor.user_id
    with store.write(admin) as s:
        types = []
        for name, cat, minutes, bb, ba, color, cpt, rate, mx, tele in TYPES:
            t = AppointmentType(name=name, category=cat, default_minutes=minutes, buffer_before=bb, buffer_after=ba,
                                color=color, cpt_code=cpt, rate_cents=rate, max_per_day=mx, telehealth_allowed=tele,
                                needs_cosign=cat == "intake", active=True)
            s.add(t)
            types.append(t)
        locations, rooms = [], []
        for name, address, n_rooms in LOCATIONS:
            loc = Location(name=name, address=address, phone="+14045550100", active=True)
            s.add(loc)
            s.flush()
            locations.append(loc)
            here = [Room(location_id=loc.id, name=f"Room {i + 1}", capacity=3) for i in range(n_rooms)]
            if loc is locations[0]:
                here.append(Room(location_id=loc.id, name="Group room", capacity=12))
            s.add_all(here)
            rooms.append(here)
        s.flush()
        for key, (loc_i, days) in HOURS.items():
            for wd, (h0, h1) in days.items():
                s.add(ProviderAvailability(provider_id=ids[key], location_id=locations[loc_i].id, weekday=wd,
                                           start_time=f"{h0:02d}:00", end_time=f"{h1:02d}:00", is_override=False,
                                           available=True))
        # Hannah works a Saturday clinic next month; Samuel is away for a conference week.
        sat = plan.today + timedelta(days=(5 - plan.today.weekday()) % 7 + 21)
        s.add(ProviderAvailability(provider_id=ids["hannah"], location_id=locations[0].id, weekday=5,
                                   start_time="09:00", end_time="13:00", valid_from=sat, valid_until=sat,
                                   is_override=True, available=True))

    booker = _Booker()
    # Time off: Samuel's conference (approved, in three weeks), Aisha's day last month (approved),
    # Tyler's request for next month (waiting for the administrator).
    away: list[tuple[str, date, date, str, str]] = []
    monday = plan.today - timedelta(days=plan.today.weekday())
    away.append(("samuel", monday + timedelta(weeks=3), monday + timedelta(weeks=3, days=4), "Conference", "approved"))
    away.append(("aisha", monday - timedelta(weeks=4, days=-2), monday - timedelta(weeks=4, days=-2), "Personal day",
                 "approved"))
    away.append(("tyler", monday + timedelta(weeks=5), monday + timedelta(weeks=5, days=1), "Family visit",
                 "requested"))
    days_off: set[tuple[str, date]] = set()
    with store.write(admin) as s:
        for key, d0, d1, reason, status in away:
            start, end = to_utc(datetime.combine(d0, time()), TIME_ZONE), to_utc(
                datetime.combine(d1 + timedelta(days=1), time()), TIME_ZONE)
            off = TimeOff(provider_id=ids[key], start_at=start, end_at=end, reason=reason, status=status,
                          requested_by=ids[key], decided_by=admin if status == "approved" else None,
                          decided_at=start - timedelta(days=20) if status == "approved" else None)
            s.add(off)
            s.flush()
            if status == "approved":
                s.add(BusyBlock(id=off.id, provider_id=ids[key], start_at=start, end_at=end, kind="time_off"))
                d = d0
                while d <= d1:
                    days_off.add((key, d))
                    d += timedelta(days=1)

    with store.read() as s:
        by_chart = {c.chart_number: c for c in s.scalars(select(Client))}
    clients = [(i, c, by_chart[c.chart]) for i, c in enumerate(plan.clients) if c.chart in by_chart]
    tendency = {row.id: rng.gauss(0, 1) for _, _, row in clients}
    guards = GuardSettings()
    window_lo = plan.today - timedelta(weeks=PAST_WEEKS)
    window_hi = plan.today + timedelta(weeks=AHEAD_WEEKS)
    appts: list[_Planned] = []

    # Groups first: their evenings are reserved before anyone's weekly slot.
    group_rows: list[tuple[TherapyGroup, list[str], AppointmentSeries]] = []
    with store.write(admin) as s:
        for name, t_i, fac, cofac, wd, hh, mm, cap, enrollment, screening in GROUPS:
            g = TherapyGroup(name=name, type_id=types[t_i].id, facilitator_id=ids[fac],
                             cofacilitator_id=ids[cofac] if cofac else None, capacity=cap, enrollment=enrollment,
                             screening_required=screening, location_id=locations[0].id, room_id=rooms[0][-1].id,
                             active=True)
            s.add(g)
            s.flush()
            first = window_lo + timedelta(days=(wd - window_lo.weekday()) % 7)
            start_local = datetime.combine(first, time(hh, mm))
            rule = f"FREQ=WEEKLY;BYDAY={DAY_CODES[wd]};UNTIL={window_hi:%Y%m%d}T235959"
            series = AppointmentSeries(group_id=g.id, provider_id=ids[fac], type_id=types[t_i].id,
                                       location_id=locations[0].id, room_id=rooms[0][-1].id, rrule=rule,
                                       start_local=start_local, minutes=90, time_zone=TIME_ZONE, exdates="[]")
            s.add(series)
            s.flush()
            g.series_id = series.id
            candidates = [row.id for _, c, row in clients if c.form.primary_clinician_id in (fac, cofac)
                          and row.status == "active" and (plan.today - row.dob).days > 18 * 366]
            members = candidates[:cap - 2]
            for cid in members:
                s.add(GroupMember(group_id=g.id, client_id=cid, status="approved", approved_by=ids[fac],
                                  approved_at=now - timedelta(weeks=PAST_WEEKS + 1), joined_on=window_lo))
            if len(candidates) > len(members):
                s.add(GroupMember(group_id=g.id, client_id=candidates[len(members)], status="screening"))
            group_rows.append((g, members, series))
            for occ in expand(rule, start_local, 90, TIME_ZONE, window_start=window_lo, window_end=window_hi):
                for who in (fac, cofac):
                    if who:
                        booker.take(who, occ.start_utc, occ.end_utc + timedelta(minutes=15))
                booker.take(f"room:{rooms[0][-1].id}", occ.start_utc, occ.end_utc)
                appts.append(_Planned(fac, types[t_i], occ, rooms[0][-1].id, locations[0].id, None, False,
                                      to_utc(start_local, TIME_ZONE) - timedelta(days=7), series.id, g.id))

    # Weekly, fortnightly and monthly clients with their clinician.
    weekly_slots: dict[tuple[str, int, int, int], set[int]] = defaultdict(set)  # (provider, wd, hour, min) -> parity
    series_rows: list[AppointmentSeries] = []
    series_plan: list[tuple[AppointmentSeries, str, AppointmentType, str, bool, datetime]] = []
    for _, c, row in clients:
        key = c.form.primary_clinician_id or ""
        if key not in HOURS or row.status not in ("active", "discharged"):
            continue
        if rng.random() < 0.25:
            continue  # seen irregularly, or between episodes: booked one at a time (none here)
        loc_i, days = HOURS[key]
        is_med = key == "raj"
        interval = 4 if is_med else rng.choice((1, 1, 2, 2, 2))
        t = types[5] if is_med else types[0 if rng.random() < 0.6 else 1]
        choices = [(wd, h, m) for wd, (h0, h1) in days.items() for h in range(h0, h1 - 1)
                   for m in ((0, 30) if is_med else (0,))]
        rng.shuffle(choices)
        parity = rng.randrange(interval)
        picked = None
        for wd, h, m in choices:
            used = weekly_slots[(key, wd, h, m)]
            need = set(range(4)) if interval == 1 else ({parity, parity + 2} if interval == 2 else {parity})
            if not used & need:
                used |= need
                picked = (wd, h, m)
                break
        if picked is None:
            continue
        wd, h, m = picked
        reg = c.registered_at.date() + timedelta(days=rng.randint(5, 12))
        first = max(reg, window_lo)
        first += timedelta(days=(wd - first.weekday()) % 7)
        # Fortnightly parity counted from the window's first Monday so reserved parities hold.
        while interval > 1 and ((first - (window_lo - timedelta(days=window_lo.weekday()))).days // 7) % 4 % interval \
                != parity % interval:
            first += timedelta(weeks=1)
        last = c.status_changed_at.date() if c.status_changed_at else window_hi
        if first > last:
            continue
        start_local = datetime.combine(first, time(h, m))
        rule = (f"FREQ=WEEKLY;INTERVAL={interval};BYDAY={DAY_CODES[wd]};UNTIL={min(last, window_hi):%Y%m%d}T235959")
        telehealth = bool(row.uses_telehealth) and rng.random() < 0.8
        series = AppointmentSeries(client_id=row.id, provider_id=ids[key], type_id=t.id,
                                   location_id=None if telehealth else locations[loc_i].id, telehealth=telehealth,
                                   rrule=rule, start_local=start_local, minutes=t.default_minutes,
                                   time_zone=TIME_ZONE, exdates="[]",
                                   status="ended" if c.status_changed_at else "active")
        series_rows.append(series)
        booked_at = min(to_utc(start_local, TIME_ZONE) - timedelta(days=rng.randint(1, 6)), now)
        series_plan.append((series, key, t, row.id, telehealth, booked_at))

    consents_of = {row.id: [ConsentOnFile(k.kind, k.signed_on, k.expires_on, k.revoked_on) for k in c.consents]
                   for _, c, row in clients}
    dob_of = {row.id: row.dob for _, _, row in clients}
    with store.write(admin) as s:
        s.add_all(series_rows)
        s.flush()
        for series, key, t, client_id, telehealth, booked_at in series_plan:
            loc_i = HOURS[key][0]
            exdates = []
            for occ in expand(series.rrule, series.start_local, series.minutes, TIME_ZONE,
                              window_start=window_lo, window_end=window_hi):
                pad = occ.end_utc + timedelta(minutes=t.buffer_after)
                if (key, occ.occurrence_date) in days_off or not booker.free(key, occ.start_utc, pad) \
                        or not booker.free(f"client:{client_id}", occ.start_utc, occ.end_utc):
                    exdates.append(occ.occurrence_date.isoformat())
                    continue
                if occ.start_utc > now and booking_refusals(guards, dob=dob_of[client_id],
                                                            visit_day=occ.occurrence_date, telehealth=telehealth,
                                                            consents=consents_of[client_id]):
                    exdates.append(occ.occurrence_date.isoformat())
                    continue
                room = None
                if not telehealth:
                    room = next((r.id for r in rooms[loc_i] if r.name != "Group room"
                                 and booker.free(f"room:{r.id}", occ.start_utc, occ.end_utc)), None)
                booker.take(key, occ.start_utc, pad)
                booker.take(f"client:{client_id}", occ.start_utc, occ.end_utc)
                if room:
                    booker.take(f"room:{room}", occ.start_utc, occ.end_utc)
                appts.append(_Planned(key, t, occ, room, None if telehealth or room is None else locations[loc_i].id,
                                      client_id, telehealth or room is None, booked_at, series.id))
            series.exdates = json.dumps(exdates)

    # Intakes: each client registered in the window had one a few days before their first session.
    intake = types[2]
    for _, c, row in clients:
        key = c.form.primary_clinician_id or ""
        if key not in HOURS or c.registered_at.date() < window_lo:
            continue
        loc_i, days = HOURS[key]
        d = c.registered_at.date() + timedelta(days=rng.randint(1, 4))
        placed = False
        for _ in range(10):
            if d.weekday() in days and (key, d) not in days_off:
                h0, h1 = days[d.weekday()]
                for h in range(h0, h1 - 1):
                    start = to_utc(datetime.combine(d, time(h)), TIME_ZONE)
                    end = start + timedelta(minutes=60)
                    if booker.free(key, start, end + timedelta(minutes=10)) and booker.free(
                            f"client:{row.id}", start, end):
                        room = next((r.id for r in rooms[loc_i] if booker.free(f"room:{r.id}", start, end)), None)
                        booker.take(key, start, end + timedelta(minutes=10))
                        booker.take(f"client:{row.id}", start, end)
                        if room:
                            booker.take(f"room:{room}", start, end)
                        occ = expand("FREQ=DAILY;COUNT=1", datetime.combine(d, time(h)), 60, TIME_ZONE,
                                     window_start=d, window_end=d)[0]
                        appts.append(_Planned(key, intake, occ, room, locations[loc_i].id if room else None,
                                              row.id, room is None, c.registered_at))
                        placed = True
                        break
            if placed:
                break
            d += timedelta(days=1)

    _write_appointments(session, appts, rng, now, tendency, ids)
    _write_attendance(session, group_rows, now, random.Random(rng.getrandbits(64)), admin)  # as many as have met
    _write_waitlist_and_preferences(session, plan, clients, ids, types, rng)


def _write_appointments(session: UserSession, appts: list[_Planned], rng: random.Random, now: datetime,
                        tendency: dict[str, float], ids: dict[str, str]) -> None:
    """Every appointment with its status (past ones decided, a few forgotten), history and busy twin."""
    front_desk = [ids[k] for k in ("maria", "kevin") if k in ids]
    appts.sort(key=lambda a: a.occ.start_utc)
    visits: dict[str, int] = defaultdict(int)
    stale_left = 3
    recent = now.astimezone(ZoneInfo(TIME_ZONE)).date() - timedelta(days=6)  # the last six days: by day, not hour
    batch = 600
    for lo in range(0, len(appts), batch):
        with session.store.write(session.actor.user_id) as s:
            for a in appts[lo:lo + batch]:
                t, client = a.type, a.client
                start, end = a.occ.start_utc, a.occ.end_utc
                booked_at = min(a.booked_at, start - timedelta(hours=2))
                lead = (start - booked_at).total_seconds() / 86400
                # Every visit draws the same numbers whether it is past or to come, so the demo of a day
                # is the same whenever in the day it is built (only the visits around now differ).
                r_confirm, r_outcome, r_late, r_stale = rng.random(), rng.random(), rng.random(), rng.random()
                early = timedelta(minutes=rng.randint(2, 15))
                status_by, booked_by = rng.choice(front_desk), rng.choice(front_desk)
                via, link = rng.choice(("sms", "sms", "phone", "email")), rng.getrandbits(48)
                confirmed = r_confirm < (0.75 if start - now < timedelta(days=2) or start < now else 0.1)
                status, late, checked_in = "scheduled", False, None
                if client is not None:
                    visits[client] += 1
                if end <= now:
                    status = "completed"
                    if client is not None:
                        hour = a.occ.start_local.hour
                        x = (-3.1 + 0.9 * tendency.get(client, 0.0) + 0.012 * min(lead, 60) + 0.45 * (hour < 9)
                             + 0.3 * (hour >= 17) + 0.7 * (not confirmed) + 0.5 * (visits[client] <= 2))
                        if r_outcome < _sigmoid(x):
                            status = "no_show"
                        elif r_outcome < _sigmoid(x) + 0.06:
                            status, late = "cancelled", r_late < 0.4
                        elif a.occ.start_local.date() > recent and stale_left and r_stale < 0.05:
                            status, stale_left = "scheduled", stale_left - 1  # nobody recorded it yet
                    if status == "completed":
                        checked_in = start - early
                elif start <= now < end and client is not None:
                    status, checked_in = "checked_in", start - early
                elif confirmed:
                    status = "confirmed"
                row = Appointment(
                    id=new_id(), client_id=client, group_id=a.group_id, provider_id=ids[a.provider], type_id=t.id,
                    location_id=a.location, room_id=a.room, series_id=a.series_id,
                    occurrence_date=a.occ.occurrence_date if a.series_id else None,
                    start_local=a.occ.start_local, time_zone=TIME_ZONE, start_at=start, end_at=end,
                    buffer_before=t.buffer_before, buffer_after=t.buffer_after, status=status,
                    status_at=booked_at if status == "scheduled" else min(end, now), status_by=status_by,
                    late_cancel=late, cancel_reason="client called" if status == "cancelled" else None,
                    telehealth=a.telehealth, meeting_link=f"{LINK}{link:012x}" if a.telehealth else None,
                    confirmation="confirmed" if confirmed else "unconfirmed",
                    confirmed_at=start - timedelta(days=2) if confirmed else None,
                    confirmed_via=via if confirmed else None,
                    checked_in_at=checked_in, booked_at=booked_at, booked_by=booked_by,
                )
                s.add(row)
                # The step that decided a visit (not every step, and not the booking itself, which
                # booked_at/booked_by record): the demo must build in seconds.
                if status != "scheduled":
                    s.add(AppointmentStatusChange(appointment_id=row.id, client_id=client, status=status,
                                                  at=row.status_at or booked_at, by=row.status_by or ""))
                s.add(BusyBlock(id=row.id, provider_id=row.provider_id, room_id=a.room, start_at=start, end_at=end,
                                buffer_before=t.buffer_before, buffer_after=t.buffer_after, kind="appointment",
                                active=status not in ("cancelled", "rescheduled")))


def _write_attendance(session: UserSession, group_rows: list[tuple[TherapyGroup, list[str], AppointmentSeries]],
                      now: datetime, rng: random.Random, admin: str) -> None:
    with session.store.write(admin) as s:
        for g, members, series in group_rows:
            for a in s.scalars(select(Appointment).where(Appointment.series_id == series.id,
                                                         Appointment.end_at <= now)):
                for cid in members:
                    r = rng.random()
                    status = "attended" if r < 0.8 else "absent" if r < 0.92 else "cancelled"
                    s.add(GroupAttendance(group_id=g.id, appointment_id=a.id, client_id=cid, status=status,
                                          recorded_by=g.facilitator_id, recorded_at=a.end_at))


def _write_waitlist_and_preferences(session: UserSession, plan: DemoPlan, clients: list[tuple[int, ClientPlan, Client]],
                                    ids: dict[str, str], types: list[AppointmentType], rng: random.Random) -> None:
    with session.store.write(session.actor.user_id) as s:
        active = [row for _, _, row in clients if row.status == "active"]
        for row in active:
            if rng.random() < 0.7:
                channel = rng.choice(("sms", "sms", "sms", "email", "voice"))
                # Texts and calls need consent on record (a date and how it was given).
                consented = utcnow()
                s.add(ContactPreference(client_id=row.id, channel=channel, allow_sms=channel != "voice",
                                        allow_email=True, allow_voice=channel == "voice",
                                        reminder_hours=rng.choice((24, 24, 48, 72)),
                                        leave_voicemail=rng.random() < 0.5,
                                        sms_consent_at=consented if channel != "voice" else None,
                                        sms_consent_source="intake form" if channel != "voice" else None,
                                        voice_consent_at=consented if channel == "voice" else None,
                                        voice_consent_source="intake form" if channel == "voice" else None))
        waiting = rng.sample(active, min(14, len(active)))
        clinicians = [k for k in HOURS if k != "raj"]
        for i, row in enumerate(waiting):
            days = sorted(rng.sample(range(5), rng.randint(0, 3)))
            s.add(WaitlistEntry(
                client_id=row.id, provider_id=ids[rng.choice(clinicians)] if rng.random() < 0.5 else None,
                type_id=types[rng.choice((0, 1, 3, 4))].id, days=",".join(map(str, days)),
                times=",".join(sorted(rng.sample(["morning", "afternoon", "evening"], rng.randint(0, 2)))),
                insurance=None, urgency=rng.choice(("routine", "routine", "routine", "soon", "urgent")),
                telehealth_ok=rng.random() < 0.7, added_on=plan.today - timedelta(days=3 + 5 * i + rng.randint(0, 4)),
                status="waiting"))
