"""Reminders feed the no-show risk: the client's answering record and each upcoming visit's reminder
state, read in one grouped query, reach the score of the calendar and of an appointment's details;
the figures group reminded visits by their answer with each group's no-shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from mentalspace_desktop.domain.reminders.outgoing import InboundReply, SendFailed
from mentalspace_desktop.domain.scheduling.risk import ReminderRecord, ReminderState
from mentalspace_desktop.errors import PermissionDenied
from mentalspace_desktop.services.calendar_view import CalendarReadService
from mentalspace_desktop.services.reminders import stats
from mentalspace_desktop.services.reminders.desk import ReminderDeskService
from mentalspace_desktop.services.reminders.inbound import ReplyHandler
from mentalspace_desktop.services.reminders.ledger import StoreLedger
from mentalspace_desktop.services.scheduling.appointments import AppointmentService
from tests.factories import PracticeFixture
from tests.services.reminder_fixtures import MOBILE, WED10, WED10_LOCAL, Reminders, reminders_for
from tests.services.scheduling_fixtures import NOW, build

WEEK = timedelta(days=7)


@pytest.fixture
def rem(practice: PracticeFixture) -> Reminders:
    return reminders_for(build(practice), NOW)


def reply(rem: Reminders, body: str, sid: str) -> None:
    ReplyHandler(StoreLedger(rem.sched.practice.admin.store), now=rem.clock).handle(
        InboundReply("sms", MOBILE, "+14045550000", body, sid, rem.clock.at))


def remind(rem: Reminders, appointment_id: str) -> None:
    """The visit's 48-hour reminders go out."""
    start = AppointmentService(rem.sched.session("front_desk"), now=rem.clock).get(appointment_id).start_at
    rem.clock.at = start - timedelta(days=2)
    rem.engine().run_once()


def history(rem: Reminders) -> tuple[str, str, str]:
    """Three weekly visits: the first reminded and confirmed by reply (then kept), the second reminded
    and never answered (then missed), the third's reminders cannot be delivered."""
    first, second, third = (rem.book(WED10_LOCAL + k * WEEK) for k in range(3))
    remind(rem, first)
    reply(rem, "Yes", "SMyes")
    remind(rem, second)
    rem.channels["sms"].fail_with = [SendFailed("landline", permanent=True, code="21614")]
    rem.channels["email"].fail_with = [SendFailed("550 no such mailbox", permanent=True, code="550")]
    remind(rem, third)
    front = AppointmentService(rem.sched.session("front_desk"), now=rem.clock)
    front.complete(first)
    front.no_show(second)
    return first, second, third


def test_the_record_and_the_state_come_from_one_query(rem: Reminders) -> None:
    first, second, third = history(rem)
    store = rem.sched.practice.admin.store
    with store.read() as s:
        statements: list[str] = []
        listen = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(s.get_bind(), "before_cursor_execute", listen)
        try:
            found = stats.risk_reminders(s, [rem.client, rem.sched.other_client], rem.clock.at)
        finally:
            event.remove(s.get_bind(), "before_cursor_execute", listen)
    assert len([q for q in statements if q.lstrip().upper().startswith("SELECT")]) == 1
    assert found.record(rem.client) == ReminderRecord(reminded=2, confirmed=1, cancelled=0, undelivered=0)
    assert found.state(third) == ReminderState(reminded=False, confirmed_by_reply=False, undelivered=True)
    assert found.record(rem.sched.other_client) == ReminderRecord()  # no reminders: nothing known
    # as of before the first visit, that visit is the one to come and its reply is its state
    with store.read() as s:
        earlier = stats.risk_reminders(s, [rem.client], WED10 - timedelta(hours=1))
    assert earlier.record(rem.client) == ReminderRecord()
    assert earlier.state(first) == ReminderState(reminded=True, confirmed_by_reply=True)


def test_the_new_factors_are_in_words_in_the_details_and_on_the_calendar(rem: Reminders) -> None:
    _first, _second, third = history(rem)
    item = AppointmentService(rem.sched.session("front_desk"), now=rem.clock).get(third)
    assert item.risk is not None
    labels = [f.label for f in item.risk.factors]
    assert "reminder could not be delivered (the client may not know)" in labels
    assert "answers reminders (confirmed 1 of 2)" in labels  # half answered: the usual, it weighs nothing
    assert "reminder could not be delivered" in item.risk.explain()
    day = (WED10 + 2 * WEEK).date()
    on_calendar = [i for i in CalendarReadService(rem.sched.session("front_desk"), now=rem.clock).calendar(day, day)
                   if i.id == third]
    assert on_calendar and on_calendar[0].risk is not None
    assert on_calendar[0].risk.score == item.risk.score
    assert "reminder could not be delivered" in on_calendar[0].risk.explain()


def test_outcomes_group_reminded_visits_by_their_answer(rem: Reminders) -> None:
    history(rem)
    desk = ReminderDeskService(rem.sched.session("admin"), now=rem.clock)
    groups = {g.answer: g for g in desk.outcome_groups(datetime(2026, 3, 1).date(), datetime(2026, 3, 1).date())}
    assert (groups["confirmed"].appointments, groups["confirmed"].completed, groups["confirmed"].no_shows) == (1, 1, 0)
    assert (groups["no_answer"].appointments, groups["no_answer"].no_shows) == (1, 1)
    assert groups["no_answer"].no_show_rate == 1.0
    assert groups["undelivered"].appointments == 0  # the third visit is still to come
    assert groups["cancelled"].no_show_rate is None
    rem.clock.at = WED10 + 2 * WEEK + timedelta(hours=1)
    later = {g.answer: g for g in desk.outcome_groups(datetime(2026, 3, 1).date(), datetime(2026, 3, 1).date())}
    assert later["undelivered"].appointments == 1
    assert sum(g.appointments for g in desk.outcome_groups(datetime(2026, 4, 1).date(),
                                                           datetime(2026, 5, 1).date())) == 0
    with pytest.raises(PermissionDenied):
        ReminderDeskService(rem.sched.session("front_desk"), now=rem.clock).outcome_groups(
            datetime(2026, 3, 1).date(), datetime(2026, 3, 1).date())
    assert rem.clock.at.tzinfo is UTC
