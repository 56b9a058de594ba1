"""The job that keeps open-ended series booked ahead: a plain function over a database session.

A weekly client "until further notice" is booked a year ahead when the series is made; every day
the next sessions must follow, or the series silently runs out. The same function runs

- on the hub, on a schedule, one runner at a time across hub processes (``hub/jobs.py``,
  ``hub/services/jobs.py``: it numbers the rows written so every workstation receives them);
- in solo mode, in the app on a timer, through :meth:`SeriesService.extend_open_series` (the store's
  session records the rows in the outbox and the service audits the run).

A session that would collide is not booked: its date joins the series' exceptions and a line says
so, as booking the series would have. Nothing here asks who is signed in: the job acts for the
practice, and its lines name no client (they go to the hub's job log).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mentalspace_desktop.domain.roles import Action
from mentalspace_desktop.domain.scheduling.conflicts import Candidate
from mentalspace_desktop.domain.scheduling.recurrence import RecurrenceError, expand, parse_rule
from mentalspace_desktop.domain.scheduling.status import Status
from mentalspace_desktop.domain.scheduling.times import day_and_clock, to_local
from mentalspace_desktop.services.scheduling.appointments import describe_collisions
from mentalspace_desktop.services.scheduling.common import SchedulingBase
from mentalspace_desktop.store.scheduling_models import (
    Appointment,
    AppointmentSeries,
    AppointmentStatusChange,
    BusyBlock,
)

HORIZON_DAYS = 366  # how far ahead a series without end is booked


@dataclass
class SeriesExtension:
    """What one run did. ``written`` holds every row it added or changed (the hub numbers them)."""

    booked: list[str] = field(default_factory=list)  # appointment ids
    skipped: list[str] = field(default_factory=list)  # "Tue Mar 10, 10:00 AM not booked (room)": no names
    skipped_in_words: list[str] = field(default_factory=list)  # with what each collides, for the desk
    extended: dict[str, int] = field(default_factory=dict)  # series id -> sessions added
    written: list[tuple[Any, str]] = field(default_factory=list)  # (row, "insert" | "update")

    def summary(self) -> str:
        """One line for the job log, naming no one."""
        return (f"booked {len(self.booked)} session(s) in {len(self.extended)} open series; "
                f"{len(self.skipped)} skipped for a collision")


class _Practice(SchedulingBase):
    """The scheduling rules (collisions, hours, daily maximum) without a signed-in user: the job acts
    for the practice, so every appointment is visible to it."""

    def __init__(self, now: datetime) -> None:  # noqa: D107  (no user session: see the class)
        self.now = lambda: now

    def may(self, s: Session, action: Action, client_id: str | None, provider_id: str | None) -> bool:
        return True

    def covers(self, action: Action, client_id: str | None, provider_id: str | None) -> bool:
        return True


def extend_open_series(
    s: Session,
    *,
    now: datetime,
    by: str | None = None,
    horizon_days: int = HORIZON_DAYS,
    may: Callable[[AppointmentSeries], bool] | None = None,
) -> SeriesExtension:
    """Book the sessions of every active series (without an end, or ending beyond what was booked)
    up to ``horizon_days`` from today.

    ``by``: whom the rows name as booked by (None on the hub: whoever last changed the series). ``may``: which series
    the caller may extend (the solo app passes the signed-in user's rule). Runs inside the caller's
    transaction; running it again the same day books nothing more.
    """
    rules = _Practice(now)
    out = SeriesExtension()
    tz = rules.tz(s)
    today = to_local(now, tz).date()
    end = today + timedelta(days=horizon_days)
    active = select(AppointmentSeries).where(AppointmentSeries.status == "active",
                                             AppointmentSeries.deleted.is_(False)).order_by(AppointmentSeries.id)
    for series in list(s.scalars(active)):
        if may is not None and not may(series):
            continue
        # A series with an end is extended too: one that runs past the horizon ("after 60 sessions",
        # an end date two years away) was booked only that far when it was made.
        try:
            parse_rule(series.rrule, series.start_local)
        except RecurrenceError:
            continue
        last = s.scalar(select(Appointment.occurrence_date).where(
            Appointment.series_id == series.id).order_by(Appointment.occurrence_date.desc()).limit(1))
        start = max(today, (last or series.start_local.date()) + timedelta(days=1))
        if start > end:
            continue
        skip = {date.fromisoformat(d) for d in json.loads(series.exdates or "[]")}
        before = set(skip)
        t = rules.appointment_type(s, series.type_id)
        who = by or series.updated_by or ""  # on the hub: on behalf of whoever set the series up
        room_id = None if series.telehealth else series.room_id
        for o in expand(series.rrule, series.start_local, series.minutes, tz, window_start=start, window_end=end,
                        exdates=skip):
            cand = Candidate(o.start_utc, o.end_utc, series.provider_id, series.client_id, room_id,
                             t.buffer_before, t.buffer_after, frozenset(),
                             rules.office_of(s, room_id, series.location_id, series.telehealth))
            collisions = rules.collisions(s, cand, type_id=series.type_id)
            if collisions:
                skip.add(o.occurrence_date)
                kinds = ", ".join(sorted({c.kind.value.replace("_", " ") for c in collisions}))
                out.skipped.append(f"{day_and_clock(o.start_local)} not booked ({kinds})")
                out.skipped_in_words.append(f"{day_and_clock(o.start_local)} not booked: "
                                            + "; ".join(describe_collisions(collisions, tz)))
                continue
            a = Appointment(
                client_id=series.client_id, group_id=series.group_id, provider_id=series.provider_id,
                type_id=series.type_id, location_id=series.location_id, room_id=room_id, series_id=series.id,
                occurrence_date=o.occurrence_date, start_local=o.start_local, time_zone=tz, start_at=o.start_utc,
                end_at=o.end_utc, buffer_before=t.buffer_before, buffer_after=t.buffer_after,
                status=Status.SCHEDULED.value, telehealth=series.telehealth, confirmation="unconfirmed",
                booked_at=now, booked_by=who, status_at=now, status_by=who)
            s.add(a)
            s.flush()  # the next occurrence's collision check sees this one
            change = AppointmentStatusChange(appointment_id=a.id, client_id=a.client_id, status=a.status, at=now,
                                             by=who, reason="booked ahead for an open-ended series")
            busy = BusyBlock(id=a.id, provider_id=a.provider_id, room_id=a.room_id, start_at=a.start_at,
                             end_at=a.end_at, buffer_before=a.buffer_before, buffer_after=a.buffer_after,
                             kind="appointment", active=True)
            s.add_all([change, busy])
            s.flush()
            out.written += [(a, "insert"), (change, "insert"), (busy, "insert")]
            out.booked.append(a.id)
            out.extended[series.id] = out.extended.get(series.id, 0) + 1
        if skip != before:
            series.exdates = json.dumps(sorted(d.isoformat() for d in skip))
            out.written.append((series, "update"))
    return out


__all__ = ["HORIZON_DAYS", "SeriesExtension", "extend_open_series"]
