"""Reminder figures: monthly message counts and provider cost, confirmation rate and what followed
reminders (for the no-show risk score and the dashboards).

Plain functions over a session, so a dashboard, a report or the risk score reads the same facts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

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
