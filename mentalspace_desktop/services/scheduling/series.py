"""Recurring series: preview occurrence by occurrence, book, and edit or cancel this occurrence, this
and following, or all.

A series is stored with its RRULE and wall-clock start; its occurrences are materialised as
appointments inside a horizon: a year ahead, never without bound; the daily job books the rest.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from mentalspace_desktop.domain.roles import Action
from mentalspace_desktop.domain.scheduling.conflicts import Candidate
from mentalspace_desktop.domain.scheduling.recurrence import (
    MAX_OCCURRENCES,
    Occurrence,
    RecurrenceError,
    describe,
    expand,
    is_bounded,
    parse_rule,
    shift_rule,
    truncate_before,
)
from mentalspace_desktop.domain.scheduling.status import OPEN, Status, StatusError, check_transition, is_late_cancel
from mentalspace_desktop.domain.scheduling.times import TimeError, check_duration, day_and_clock, to_local, to_utc
from mentalspace_desktop.errors import NotFound, PermissionDenied, ValidationError
from mentalspace_desktop.services import audit
from mentalspace_desktop.services.events import AppointmentDidChange
from mentalspace_desktop.services.scheduling import series_job
from mentalspace_desktop.services.scheduling.appointments import (
    AppointmentService,
    BookingRefused,
    BookingRequest,
    describe_collisions,
)
from mentalspace_desktop.services.scheduling.common import ids
from mentalspace_desktop.services.scheduling.series_job import HORIZON_DAYS
from mentalspace_desktop.store.scheduling_models import Appointment, AppointmentSeries

CANCELLABLE = frozenset({Status.SCHEDULED, Status.CONFIRMED})  # what the life cycle lets become cancelled


class EditScope(StrEnum):
    THIS = "this"
    FOLLOWING = "following"  # this and following
    ALL = "all"


@dataclass(frozen=True)
class OccurrenceCheck:
    """One occurrence of a series being booked or changed, and what it would collide with."""

    occurrence_date: date
    start_local: datetime
    end_local: datetime
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class SeriesPreview:
    rule_text: str
    description: str
    occurrences: list[OccurrenceCheck]

    @property
    def ok(self) -> bool:
        return all(o.ok for o in self.occurrences)

    @property
    def colliding(self) -> list[OccurrenceCheck]:
        return [o for o in self.occurrences if not o.ok]


@dataclass
class SeriesChange:
    """A change to occurrences of a series: any field left None stays as it is. ``start_time_local``
    moves the wall-clock time (e.g. every session to 15:00); ``shift_days`` moves the day."""

    start_time_local: tuple[int, int] | None = None
    shift_days: int = 0
    minutes: int | None = None
    provider_id: str | None = None
    room_id: str | None = None
    telehealth: bool | None = None


class SeriesService(AppointmentService):
    """Recurring appointments."""

    def _occurrences(self, s: Session, rule_text: str, start_local: datetime, minutes: int,
                     until: date | None = None) -> list[Occurrence]:
        try:
            rule = parse_rule(rule_text, start_local)
        except RecurrenceError as exc:
            raise ValidationError({"rrule": str(exc)}, str(exc)) from None
        if rule._count is not None and not 1 <= rule._count <= MAX_OCCURRENCES:  # as the booking form allows
            raise ValidationError({"rrule": f"A series has 1 to {MAX_OCCURRENCES} sessions."})
        horizon = start_local.date() + timedelta(days=HORIZON_DAYS)
        end = min(until, horizon) if until else horizon
        if is_bounded(rule) and rule._until is not None:
            end = min(end, rule._until.date())
        try:
            occ = expand(rule_text, start_local, minutes, self.tz(s), window_start=start_local.date(), window_end=end)
        except RecurrenceError as exc:
            raise ValidationError({"rrule": str(exc)}, str(exc)) from None
        if not occ:
            raise ValidationError({"rrule": "That repeat rule gives no sessions."})
        try:
            check_duration(occ[0].start_utc, occ[0].end_utc)
        except TimeError as exc:
            raise ValidationError({"end": str(exc)}, str(exc)) from None
        return occ

    def preview_series(self, req: BookingRequest, rule_text: str) -> SeriesPreview:
        """Every occurrence of the series ``req`` + ``rule_text`` would book, each with its collisions
        (and, on the first, a failed booking guard), before anything is saved."""
        with self.session.store.read() as s:
            self.require(s, Action.WRITE, req.client_id, req.provider_id)
            return self._preview(s, req, rule_text)

    def _preview(self, s: Session, req: BookingRequest, rule_text: str,
                 ignore: frozenset[str] = frozenset()) -> SeriesPreview:
        t = self.appointment_type(s, req.type_id)
        minutes = req.minutes if req.minutes is not None else t.default_minutes
        occ = self._occurrences(s, rule_text, req.start_local, minutes)
        tz = self.tz(s)
        checks = []
        for o in occ:
            cand = Candidate(o.start_utc, o.end_utc, req.provider_id, req.client_id,
                             None if req.telehealth else req.room_id, t.buffer_before, t.buffer_after, ignore,
                             self.office_of(s, req.room_id, req.location_id, req.telehealth))
            col = self.collisions(s, cand, type_id=req.type_id)
            problems = describe_collisions(col, tz)
            if o is occ[0]:
                problems += [g.message for g in self._guards(s, req.client_id, o.start_local.date(), req.telehealth)]
            checks.append(OccurrenceCheck(o.occurrence_date, o.start_local, o.end_local, tuple(problems)))
        return SeriesPreview(rule_text, describe(rule_text, req.start_local), checks)

    def book_series(self, req: BookingRequest, rule_text: str, *, skip_dates: frozenset[date] = frozenset()
                    ) -> str:
        """Book a series; returns its id. Refused if any occurrence collides, unless that date is in
        ``skip_dates`` (booked as an exception: "skip the colliding ones") or an administrator overrides
        with ``req.override_reason``. All or nothing."""
        with self.session.store.write(self.session.actor.user_id) as s:
            self.require(s, Action.WRITE, req.client_id, req.provider_id)
            preview = self._preview(s, req, rule_text)
            bad = [o for o in preview.colliding if o.occurrence_date not in skip_dates]
            override = None
            if bad:
                lines = [f"{day_and_clock(o.start_local)}: {'; '.join(o.problems)}" for o in bad]
                if not (req.override_reason and req.override_reason.strip()):
                    raise BookingRefused("Cannot book the series; these sessions collide: " + " | ".join(lines))
                override = self._series_override(req.override_reason, lines)
            t = self.appointment_type(s, req.type_id)
            minutes = req.minutes if req.minutes is not None else t.default_minutes
            series = AppointmentSeries(
                client_id=req.client_id, group_id=req.group_id, provider_id=req.provider_id, type_id=t.id,
                location_id=req.location_id, room_id=None if req.telehealth else req.room_id,
                telehealth=req.telehealth, rrule=rule_text.removeprefix("RRULE:"), start_local=req.start_local,
                minutes=minutes, time_zone=self.tz(s), exdates=json.dumps(sorted(d.isoformat() for d in skip_dates)))
            s.add(series)
            s.flush()
            booked = []
            for o in preview.occurrences:
                if o.occurrence_date in skip_dates:
                    continue
                one = replace(req, start_local=o.start_local, minutes=minutes, override_reason=None)
                a = self._insert(s, one, series_id=series.id, occurrence_date=o.occurrence_date, skip_checks=True)
                if override:
                    a.override_reason = override
                booked.append(a.id)
            audit.record(self.session, s, action="series_booked", record_type="appointment_series",
                         record_id=series.id, client_id=req.client_id,
                         summary=f"{preview.description}; {len(booked)} sessions"
                         + (f"; {override}" if override else ""))
        self.session.events.emit(AppointmentDidChange(tuple(booked), (req.provider_id,)))
        return series.id

    def _series_override(self, reason: str, lines: list[str]) -> str:
        """The audited override text for sessions that collide (administrators only, as for one visit)."""
        if not self.is_admin:
            raise PermissionDenied("Only an administrator can book despite a conflict or a missing consent.")
        return f"{reason.strip()} (overrode: {' | '.join(lines)})"

    def extend_open_series(self, *, horizon_days: int = HORIZON_DAYS) -> list[str]:
        """Book the next sessions of series without an end (or ending beyond what is booked), up to
        ``horizon_days`` ahead — the job :func:`series_job.extend_open_series` run as this user (solo
        mode: the app runs it on a timer), with the series this user may change, audited. A session
        that would collide is not booked: its date joins the series' exceptions and a line says so (returned)."""
        with self.session.store.write(self.session.actor.user_id) as s:
            done = series_job.extend_open_series(
                s, now=self.now(), by=self.session.actor.user_id, horizon_days=horizon_days,
                may=lambda series: self.may(s, Action.WRITE, series.client_id, series.provider_id))
            for series_id, added in done.extended.items():
                series = s.get(AppointmentSeries, series_id)
                audit.record(self.session, s, action="series_extended", record_type="appointment_series",
                             record_id=series_id, client_id=series.client_id if series else None,
                             summary=f"{added} more sessions")
        if done.booked:
            self.session.events.emit(AppointmentDidChange(tuple(done.booked), ()))
        return done.skipped_in_words

    def series_occurrences(self, series_id: str) -> list[str]:
        """The ids of the series' appointments, in start order."""
        with self.session.store.read() as s:
            series = self._series(s, series_id, Action.READ)
            return list(s.scalars(select(Appointment.id).where(
                Appointment.series_id == series.id, Appointment.deleted.is_(False)).order_by(Appointment.start_at)))

    def _series(self, s: Session, series_id: str, action: Action) -> AppointmentSeries:
        series = s.get(AppointmentSeries, series_id)
        if series is None or series.deleted:
            raise NotFound("That series no longer exists.")
        self.require(s, action, series.client_id, series.provider_id)
        return series

    def _targets(self, s: Session, appointment_id: str, scope: EditScope) -> tuple[Appointment, list[Appointment]]:
        a = self._load(s, appointment_id)
        if Status(a.status) not in OPEN:
            raise ValidationError({"status": f"A {Status(a.status).label.lower()} appointment cannot be changed."})
        if a.series_id is None:
            return a, [a]
        if scope is EditScope.THIS:
            return a, [a]
        q = select(Appointment).where(Appointment.series_id == a.series_id, Appointment.deleted.is_(False),
                                      Appointment.status.in_([x.value for x in OPEN]))
        if scope is EditScope.FOLLOWING:
            q = q.where(Appointment.start_at >= a.start_at)
        targets = list(s.scalars(q.order_by(Appointment.start_at)))
        # Permission was checked on this session only: a provider covering it (see ``covers``) holds
        # this one, not the colleague's other sessions of the series.
        if any(not self.may_appointment(s, Action.WRITE, t.client_id, t.provider_id) for t in targets):
            raise PermissionDenied("Only this session is yours to change; the other sessions of the series "
                                   "belong to the client's clinician. Choose “This session only”.")
        return a, targets

    def _planned(self, s: Session, targets: list[Appointment], change: SeriesChange
                 ) -> list[tuple[Appointment, datetime, datetime, str, str | None]]:
        tz = self.tz(s)
        out = []
        for a in targets:
            start_local = a.start_local + timedelta(days=change.shift_days)
            if change.start_time_local is not None:
                start_local = start_local.replace(hour=change.start_time_local[0], minute=change.start_time_local[1])
            minutes = change.minutes or int((a.end_at - a.start_at).total_seconds() // 60)
            start = to_utc(start_local, tz)
            end = start + timedelta(minutes=minutes)  # real time, as for a single visit
            try:
                check_duration(start, end)
            except TimeError as exc:
                raise ValidationError({"end": str(exc)}, str(exc)) from None
            out.append((a, start, end, change.provider_id or a.provider_id,
                        a.room_id if change.room_id is None else change.room_id))
        return out

    def preview_edit(self, appointment_id: str, scope: EditScope, change: SeriesChange) -> list[OccurrenceCheck]:
        """Each occurrence the edit would change, at its new time, with what it would collide with."""
        with self.session.store.read() as s:
            _, targets = self._targets(s, appointment_id, scope)
            return self._check_planned(s, self._planned(s, targets, change), {a.id for a in targets})

    def _check_planned(self, s: Session, planned: list[tuple[Appointment, datetime, datetime, str, str | None]],
                       moving: set[str]) -> list[OccurrenceCheck]:
        tz = self.tz(s)
        checks = []
        for a, start, end, provider_id, room_id in planned:
            cand = Candidate(start, end, provider_id, a.client_id, None if a.telehealth else room_id,
                             a.buffer_before, a.buffer_after, frozenset(moving),
                             self.office_of(s, room_id, a.location_id, a.telehealth))
            problems = describe_collisions(self.collisions(s, cand, type_id=a.type_id), tz)
            checks.append(OccurrenceCheck(a.occurrence_date or to_local(start, tz).date(), to_local(start, tz),
                                          to_local(end, tz), tuple(problems)))
        return checks

    def edit(self, appointment_id: str, scope: EditScope, change: SeriesChange, *,
             override_reason: str | None = None) -> list[str]:
        """Apply ``change`` to this occurrence, this and following, or all open occurrences. All or
        nothing: refused with the colliding occurrences listed. Returns the changed ids."""
        with self.session.store.write(self.session.actor.user_id) as s:
            anchor, targets = self._targets(s, appointment_id, scope)
            for a in targets:
                if a.provider_id != (change.provider_id or a.provider_id):
                    self.require(s, Action.WRITE, a.client_id, change.provider_id)
            planned = self._planned(s, targets, change)
            checks = self._check_planned(s, planned, {a.id for a in targets})
            bad = [c for c in checks if not c.ok]
            override = None
            if bad:
                lines = [f"{day_and_clock(c.start_local)}: {'; '.join(c.problems)}" for c in bad]
                if not (override_reason and override_reason.strip()):
                    raise BookingRefused("Cannot change the series; these sessions collide: " + " | ".join(lines))
                override = self._series_override(override_reason, lines)
            tz = self.tz(s)
            for a, start, end, provider_id, room_id in planned:
                a.start_local, a.start_at, a.end_at = to_local(start, tz), start, end
                a.provider_id, a.room_id = provider_id, None if a.telehealth else room_id
                if change.telehealth is not None:
                    a.telehealth = change.telehealth
                    if a.telehealth:
                        a.room_id = None
                if override:
                    a.override_reason = override
                self.sync_busy_block(s, a)
            if anchor.series_id and scope is not EditScope.THIS:
                self._update_rule(s, anchor, scope, change)  # reads the occurrence dates before the change
                if change.shift_days:
                    for a, *_ in planned:
                        a.occurrence_date = a.start_local.date()  # the changed rule's date for it
            audit.record(self.session, s, action="series_changed", record_type="appointment_series",
                         record_id=anchor.series_id or anchor.id, client_id=anchor.client_id,
                         summary=f"{scope.value}: {len(planned)} sessions" + (f"; {override}" if override else ""))
            changed = [a.id for a in targets]
            providers = ids([a.provider_id for a in targets])
        self.session.events.emit(AppointmentDidChange(tuple(changed), providers))
        return changed

    def _update_rule(self, s: Session, anchor: Appointment, scope: EditScope, change: SeriesChange) -> None:
        series = s.get(AppointmentSeries, anchor.series_id)
        if series is None:
            return
        first_day = series.start_local.date()
        if scope is EditScope.FOLLOWING and anchor.occurrence_date and anchor.occurrence_date > first_day:
            # Split: the old series ends the day before; the rest carries on as a new series.
            last = anchor.occurrence_date - timedelta(days=1)
            new_rule = series.rrule
            series.rrule = truncate_before(series.rrule, series.start_local, last)
            series.ends_on = last
            follow = AppointmentSeries(
                client_id=series.client_id, group_id=series.group_id, provider_id=anchor.provider_id,
                type_id=series.type_id, location_id=series.location_id, room_id=anchor.room_id,
                telehealth=anchor.telehealth,
                rrule=shift_rule(_rest_of(new_rule, series.start_local, last), anchor.start_local, change.shift_days),
                start_local=anchor.start_local,
                minutes=int((anchor.end_at - anchor.start_at).total_seconds() // 60), time_zone=series.time_zone,
                exdates="[]")
            s.add(follow)
            s.flush()
            for a in s.scalars(select(Appointment).where(Appointment.series_id == series.id,
                                                         Appointment.start_at >= anchor.start_at)):
                a.series_id = follow.id
            return
        series.start_local = series.start_local + timedelta(days=change.shift_days)
        series.rrule = shift_rule(series.rrule, series.start_local, change.shift_days)
        if change.start_time_local is not None:
            series.start_local = series.start_local.replace(hour=change.start_time_local[0],
                                                            minute=change.start_time_local[1])
        if change.minutes:
            series.minutes = change.minutes
        series.provider_id = change.provider_id or series.provider_id
        if change.room_id is not None:
            series.room_id = change.room_id
        if change.telehealth is not None:
            series.telehealth = change.telehealth

    def cancel_occurrences(self, appointment_id: str, scope: EditScope, *, reason: str = "") -> list[str]:
        """Cancel this occurrence, this and following (the series ends there), or every open one."""
        with self.session.store.write(self.session.actor.user_id) as s:
            anchor, targets = self._targets(s, appointment_id, scope)
            if scope is EditScope.THIS or anchor.series_id is None:
                try:
                    check_transition(Status(anchor.status), Status.CANCELLED)
                except StatusError as exc:
                    raise ValidationError({"status": str(exc)}, str(exc)) from None
            # A session under way (checked in) is not cancelled with the rest of the series.
            targets = [a for a in targets if Status(a.status) in CANCELLABLE]
            for a in targets:
                a.late_cancel = is_late_cancel(a.start_at, self.now())
                a.cancel_reason = reason.strip() or None
                self.record_status(s, a, Status.CANCELLED.value, a.cancel_reason)
                self.sync_busy_block(s, a)
            series = s.get(AppointmentSeries, anchor.series_id) if anchor.series_id else None
            if series is not None:
                if scope is EditScope.THIS and anchor.occurrence_date:
                    ex = set(json.loads(series.exdates or "[]")) | {anchor.occurrence_date.isoformat()}
                    series.exdates = json.dumps(sorted(ex))
                elif scope is EditScope.FOLLOWING and anchor.occurrence_date:
                    last = anchor.occurrence_date - timedelta(days=1)
                    if last >= series.start_local.date():
                        series.rrule = truncate_before(series.rrule, series.start_local, last)
                        series.ends_on = last
                    else:
                        series.status = "cancelled"
                else:
                    series.status = "cancelled"
            audit.record(self.session, s, action="appointment_cancelled", record_type="appointment_series"
                         if anchor.series_id else "appointment", record_id=anchor.series_id or anchor.id,
                         client_id=anchor.client_id, summary=f"{scope.value}: {len(targets)} cancelled"
                         + (f": {reason}" if reason else ""))
            changed = [a.id for a in targets]
            providers = ids([a.provider_id for a in targets])
        self.session.events.emit(AppointmentDidChange(tuple(changed), providers))
        return changed


def _rest_of(rule: str, start_local: datetime, last_kept: date) -> str:
    """The rule for the sessions after ``last_kept``: a COUNT shrinks by the sessions already held."""
    parts = rule.split(";")
    count = next((p for p in parts if p.upper().startswith("COUNT=")), None)
    if count is None:
        return rule
    kept = sum(1 for d in parse_rule(rule, start_local) if d.date() <= last_kept)
    rest = max(1, int(count.split("=")[1]) - kept)
    return ";".join([p for p in parts if p is not count] + [f"COUNT={rest}"])
