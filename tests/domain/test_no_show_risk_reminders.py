"""No-show risk from reminders: answering history (smoothed), confirmed by reply, undeliverable
reminders; and the fast score equal to the worded one for every input."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from mentalspace_desktop.domain.scheduling.risk import (
    NO_REMINDERS,
    NOT_REMINDED,
    History,
    ReminderRecord,
    ReminderState,
    Risk,
    client_odds,
    no_show_risk,
    no_show_score,
    visit_score,
)

HISTORY = History(completed=8, no_shows=1)


def risk(record: ReminderRecord = NO_REMINDERS, state: ReminderState = NOT_REMINDED,
         confirmed: bool = False) -> Risk:
    return no_show_risk(HISTORY, lead_days=7.0, hour=11, weekday=2, confirmed=confirmed, reminders=record,
                        reminder=state)


def test_a_client_who_answers_reminders_scores_below_one_who_never_does() -> None:
    none = risk()
    answers = risk(ReminderRecord(reminded=6, confirmed=5))
    never = risk(ReminderRecord(reminded=4))
    assert answers.score < none.score < never.score
    assert "answers reminders (confirmed 5 of 6)" in answers.explain()
    assert "never answers reminders (0 of 4)" in never.explain()
    cancels = risk(ReminderRecord(reminded=5, confirmed=2, cancelled=2))
    assert "answers reminders (confirmed 2, cancelled 2 of 5)" in cancels.explain()
    seldom = risk(ReminderRecord(reminded=6, confirmed=1))
    assert "seldom answers reminders (confirmed 1 of 6)" in seldom.explain()


def test_few_reminders_say_little_many_say_more() -> None:
    """Smoothed: one unanswered reminder moves the score less than ten do, and never as far as a
    raw 0 % would."""
    base = risk().score
    one = risk(ReminderRecord(reminded=1)).score
    ten = risk(ReminderRecord(reminded=10)).score
    assert base < one < ten
    assert one - base < (ten - base) / 2
    one_factor = next(f for f in risk(ReminderRecord(reminded=1)).factors if "answers" in f.label)
    assert one_factor.weight < 0.3  # one text without reply is no pattern yet


def test_confirmed_by_reply_counts_more_than_confirmed_and_is_said() -> None:
    by_desk = risk(state=ReminderState(reminded=True), confirmed=True)
    by_reply = risk(state=ReminderState(reminded=True, confirmed_by_reply=True), confirmed=True)
    assert by_reply.score < by_desk.score
    assert "confirmed by reply" in by_reply.explain()
    assert "confirmed by reply" not in by_desk.explain() and "confirmed" in by_desk.explain()


def test_an_unanswered_reminder_of_this_visit_raises_the_risk() -> None:
    reminded = risk(state=ReminderState(reminded=True))
    assert reminded.score > risk().score
    assert "reminded, no answer yet" in reminded.explain()


def test_a_reminder_that_could_not_be_delivered_is_named() -> None:
    failed = risk(state=ReminderState(undelivered=True))
    assert failed.score > risk(state=ReminderState(reminded=True)).score
    assert "reminder could not be delivered" in failed.explain()
    # not reminded yet, but earlier reminders to the number failed
    failing = risk(ReminderRecord(reminded=0, undelivered=3))
    assert failing.score > risk().score
    assert "reminders to this client fail (3 of 3)" in failing.explain()
    # failures are not counted as unanswered reminders
    assert "never answers" not in failing.explain()


def test_without_reminder_facts_the_score_is_as_before() -> None:
    plain = no_show_risk(HISTORY, lead_days=7.0, hour=11, weekday=2, confirmed=True)
    assert plain == risk(confirmed=True)
    assert [f.label for f in plain.factors] == ["1 past no-show in 9 visits", "confirmed"]


counts = st.integers(min_value=0, max_value=60)


@st.composite
def records(draw: st.DrawFn) -> ReminderRecord:
    reminded = draw(counts)
    confirmed = draw(st.integers(0, reminded))
    cancelled = draw(st.integers(0, reminded - confirmed))
    return ReminderRecord(reminded, confirmed, cancelled, draw(counts))


@settings(max_examples=400, deadline=None)
@given(
    history=st.builds(History, counts, counts, counts),
    lead_days=st.floats(min_value=0, max_value=400, allow_nan=False),
    hour=st.integers(0, 23), weekday=st.integers(0, 6), confirmed=st.booleans(),
    record=records(), state=st.builds(ReminderState, st.booleans(), st.booleans(), st.booleans()),
)
def test_the_fast_score_equals_the_worded_one(history: History, lead_days: float, hour: int, weekday: int,
                                              confirmed: bool, record: ReminderRecord,
                                              state: ReminderState) -> None:
    worded = no_show_risk(history, lead_days=lead_days, hour=hour, weekday=weekday, confirmed=confirmed,
                          reminders=record, reminder=state)
    assert no_show_score(history, lead_days=lead_days, hour=hour, weekday=weekday, confirmed=confirmed,
                         reminders=record, reminder=state) == worded.score
    assert 0.0 <= worded.score <= 1.0
    # every weight that moves the score is named among the factors
    assert abs(1 / (1 + math.exp(2.6 - sum(f.weight for f in worded.factors))) - worded.score) < 0.0006


@settings(max_examples=200, deadline=None)
@given(
    history=st.builds(History, counts, counts, counts), record=records(),
    visits=st.lists(st.tuples(st.floats(min_value=0, max_value=400, allow_nan=False), st.integers(0, 23),
                              st.integers(0, 6), st.booleans(),
                              st.builds(ReminderState, st.booleans(), st.booleans(), st.booleans())),
                    min_size=1, max_size=5),
)
def test_one_client_part_serves_all_their_visits(history: History, record: ReminderRecord,
                                                 visits: list[tuple[float, int, int, bool, ReminderState]]) -> None:
    """The calendar works out a client's part once and reuses it for each of their visits: the same
    score as each visit worded on its own."""
    odds = client_odds(history, record)
    for lead_days, hour, weekday, confirmed, state in visits:
        assert visit_score(odds, lead_days=lead_days, hour=hour, weekday=weekday, confirmed=confirmed,
                           reminder=state) == no_show_risk(history, lead_days=lead_days, hour=hour, weekday=weekday,
                                                           confirmed=confirmed, reminders=record,
                                                           reminder=state).score
