"""Reminder figures: monthly message counts and provider cost, confirmation rate and what followed
reminders (for the no-show risk score and the dashboards).

Plain functions over a session, so a dashboard, a report or the risk score reads the same facts.
:func:`risk_reminders` is what the calendar's no-show score reads: one grouped query for all the
clients on screen, whatever their number of appointments.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, Row, and_, case, func, select
from sqlalchemy.orm import Session, aliased

from mentalspace_desktop.domain.scheduling.risk import ReminderRecord, ReminderState
from mentalspace_desktop.services.reminders.engine import TOOK
from mentalspace_desktop.store.reminder_models import InboundMessage, ReminderMessage
from mentalspace_desktop.store.scheduling_models import Appointment


@dataclass(frozen=True)
class MonthlyCount:
    month: str  # "2026-03"
    channel: str
    sent: int
    delivered: int
    failed: int
    cost_cents: int


@dataclass(frozen=True)
class AppointmentReminderFacts:
    """What reminders did for one appointment (an input of the no-show risk score)."""

    reminded: bool
    confirmed_by_reply: bool
    cancelled_by_reply: bool
    failed: bool


@dataclass(frozen=True)
class Outcomes:
    """Reminded appointments of a period and what became of them."""

    reminded: int
    confirmed: int
    cancelled: int
    completed: int
    no_shows: int

    @property
    def confirmation_rate(self) -> float | None:
        return self.confirmed / self.reminded if self.reminded else None

    @property
    def no_show_rate(self) -> float | None:
        return self.no_shows / self.reminded if self.reminded else None


FAILED = ("failed", "undelivered")
"""A reminder that did not reach the client (``uncertain`` may have gone: it is not counted either way)."""
CHUNK = 5000  # client ids per query: a calendar of any realistic size reads in one


@dataclass(frozen=True)
class RiskReminders:
    """What the no-show score reads from reminders: per client their record with the reminders of
    visits already past, per upcoming appointment its reminders so far."""

    clients: dict[str, ReminderRecord] = field(default_factory=dict)
    appointments: dict[str, ReminderState] = field(default_factory=dict)

    def record(self, client_id: str | None) -> ReminderRecord:
        return self.clients.get(client_id or "", NO_RECORD)

    def state(self, appointment_id: str) -> ReminderState:
        return self.appointments.get(appointment_id, NO_STATE)


NO_RECORD, NO_STATE = ReminderRecord(), ReminderState()


def _any(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """1 when ``condition`` holds for any row of the group, else 0."""
    return func.max(case((condition, 1), else_=0))


def _per_appointment(s: Session, client_ids: Sequence[str], now: datetime
                     ) -> list[Row[str | None, str, datetime | None, int, int, int, int]]:
    """(client, appointment, its start, reached, failed, confirmed by reply, cancelled by reply) for
    every appointment of these clients a reminder was tried for before ``now``: one grouped query per
    :data:`CHUNK` clients. A reply counts for the reminder it answered (``reminder_message_id``)."""
    m, i = ReminderMessage, aliased(InboundMessage)
    rows: list[Row[str | None, str, datetime | None, int, int, int, int]] = []
    ids = sorted(set(client_ids))
    for start in range(0, len(ids), CHUNK):
        rows += s.execute(
            select(m.client_id, m.appointment_id, func.max(m.appointment_start), _any(m.state.in_(TOOK)),
                   _any(m.state.in_(FAILED)), _any(i.action == "confirmed"), _any(i.action == "cancelled"))
            .outerjoin(i, and_(i.reminder_message_id == m.id, i.deleted.is_(False), i.received_at <= now))
            .where(m.client_id.in_(ids[start:start + CHUNK]), m.kind == "reminder", m.deleted.is_(False),
                   m.created_at <= now)
            .group_by(m.client_id, m.appointment_id)).all()
    return rows


def risk_reminders(s: Session, client_ids: Sequence[str], now: datetime) -> RiskReminders:
    """Per client, the reminders of their visits that started before ``now`` (reached and answered
    with a confirmation or a cancellation, or never delivered); per appointment still to come, its
    reminders so far. What the no-show risk score of a calendar read takes."""
    records: dict[str, list[int]] = {}
    states: dict[str, ReminderState] = {}
    for client, appointment, start, reached, failed, confirmed, cancelled in _per_appointment(s, client_ids, now):
        if start is None or start >= now:
            states[appointment] = ReminderState(reminded=bool(reached), confirmed_by_reply=bool(confirmed),
                                                undelivered=bool(failed) and not reached)
            continue
        if client is None:
            continue  # a reminder always has its client; the column only allows none
        r = records.setdefault(client, [0, 0, 0, 0])
        if reached:
            r[0] += 1
            r[1] += bool(confirmed)
            r[2] += bool(cancelled) and not confirmed
        elif failed:
            r[3] += 1
    return RiskReminders({c: ReminderRecord(*v) for c, v in records.items()}, states)


def monthly_counts(s: Session, since: datetime) -> list[MonthlyCount]:
    """Messages per month and channel since ``since``: sent (the provider took them), delivered,
    failed, and the provider's cost."""
    table: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for created, channel, state, cost in s.execute(select(
            ReminderMessage.created_at, ReminderMessage.channel, ReminderMessage.state, ReminderMessage.cost_cents)
            .where(ReminderMessage.created_at >= since, ReminderMessage.deleted.is_(False))):
        row = table[(f"{created:%Y-%m}", channel)]
        if state in TOOK:
            row[0] += 1
        if state == "delivered":
            row[1] += 1
        if state in ("failed", "undelivered", "uncertain"):
            row[2] += 1
        row[3] += cost or 0
    return [MonthlyCount(m, c, *v) for (m, c), v in sorted(table.items())]


def facts_for(s: Session, appointment_ids: Sequence[str]) -> dict[str, AppointmentReminderFacts]:
    """Per appointment: reminded or not, confirmed or cancelled by a reply, a failed reminder."""
    out: dict[str, list[bool]] = {a: [False, False, False, False] for a in appointment_ids}
    ids = list(out)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for aid, state in s.execute(select(ReminderMessage.appointment_id, ReminderMessage.state).where(
                ReminderMessage.appointment_id.in_(chunk), ReminderMessage.kind == "reminder")):
            if state in TOOK:
                out[aid][0] = True
            if state in ("failed", "undelivered", "uncertain"):
                out[aid][3] = True
        for about, action in s.execute(select(InboundMessage.appointment_id, InboundMessage.action).where(
                InboundMessage.appointment_id.in_(chunk))):
            if about in out and action == "confirmed":
                out[about][1] = True
            if about in out and action == "cancelled":
                out[about][2] = True
    return {a: AppointmentReminderFacts(*v) for a, v in out.items()}


def outcomes(s: Session, start: datetime, end: datetime) -> Outcomes:
    """Appointments starting in [start, end) that were reminded, and what became of them."""
    rows = list(s.execute(select(Appointment.id, Appointment.status, Appointment.confirmation).where(
        Appointment.start_at >= start, Appointment.start_at < end, Appointment.deleted.is_(False))))
    facts = facts_for(s, [r[0] for r in rows])
    reminded = [(str(status), str(confirmation)) for aid, status, confirmation in rows if facts[aid].reminded]
    return Outcomes(
        reminded=len(reminded),
        confirmed=sum(1 for _, c in reminded if c == "confirmed"),
        cancelled=sum(1 for st, _ in reminded if st == "cancelled"),
        completed=sum(1 for st, _ in reminded if st == "completed"),
        no_shows=sum(1 for st, _ in reminded if st == "no_show"),
    )


ANSWERS = ("confirmed", "cancelled", "no_answer", "undelivered")
"""The groups of :func:`outcome_groups`, in the order the figures show them."""


@dataclass(frozen=True)
class OutcomeGroup:
    """Reminded appointments of a period that got one answer, and how they ended."""

    answer: str  # one of ANSWERS
    appointments: int
    completed: int
    no_shows: int

    @property
    def no_show_rate(self) -> float | None:
        return self.no_shows / self.appointments if self.appointments else None


def outcome_groups(s: Session, start: datetime, end: datetime, now: datetime) -> list[OutcomeGroup]:
    """Appointments that started in [start, end) and before ``now`` and had a reminder tried, grouped
    by the answer (confirmed or cancelled by reply, no answer, never delivered) with their no-shows:
    what the front desk needs to see whether unanswered reminders go with missed visits. One grouped
    query over the period's reminders joined to their appointments and replies."""
    m, i, a = ReminderMessage, aliased(InboundMessage), Appointment
    per_appointment = (
        select(a.id, a.status, _any(m.state.in_(TOOK)).label("reached"), _any(m.state.in_(FAILED)).label("failed"),
               _any(i.action == "confirmed").label("confirmed"), _any(i.action == "cancelled").label("cancelled"))
        .join(m, and_(m.appointment_id == a.id, m.kind == "reminder", m.deleted.is_(False)))
        .outerjoin(i, and_(i.reminder_message_id == m.id, i.deleted.is_(False)))
        .where(a.deleted.is_(False), a.start_at >= start, a.start_at < end, a.start_at < now)
        .group_by(a.id, a.status))
    table = {answer: [0, 0, 0] for answer in ANSWERS}
    for _aid, status, reached, failed, confirmed, cancelled in s.execute(per_appointment):
        if reached:
            answer = "confirmed" if confirmed else "cancelled" if cancelled else "no_answer"
        elif failed:
            answer = "undelivered"
        else:
            continue  # skipped or withdrawn: nothing was tried
        row = table[answer]
        row[0] += 1
        row[1] += status == "completed"
        row[2] += status == "no_show"
    return [OutcomeGroup(answer, *table[answer]) for answer in ANSWERS]
