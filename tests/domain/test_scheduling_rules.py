"""Booking guards, no-show risk, waitlist priority, slot finding and phrase parsing."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from mentalspace_desktop.domain.clients import ConsentKind, ConsentOnFile
from mentalspace_desktop.domain.scheduling.availability import Hours
from mentalspace_desktop.domain.scheduling.conflicts import Block
from mentalspace_desktop.domain.scheduling.guards import GuardSettings, booking_refusals
from mentalspace_desktop.domain.scheduling.phrases import parse_phrase
from mentalspace_desktop.domain.scheduling.risk import History, no_show_risk
from mentalspace_desktop.domain.scheduling.slots import SlotQuery, find_slots
from mentalspace_desktop.domain.scheduling.times import to_utc, utc
from mentalspace_desktop.domain.scheduling.waitlist import FreedSlot, Waiting, best_matches, match, priority

TZ = "America/New_York"
VISIT = date(2026, 3, 10)


def _consent(kind: ConsentKind, signed: date) -> ConsentOnFile:
    return ConsentOnFile(kind, signed)


def test_guards_informed_consent_renewed_yearly() -> None:
    s = GuardSettings()
    adult = date(1990, 1, 1)
    assert [r.rule for r in booking_refusals(s, dob=adult, visit_day=VISIT, telehealth=False, consents=[])] == [
        "informed_consent"]
    fresh = [_consent(ConsentKind.INFORMED_CONSENT, VISIT - timedelta(days=100))]
    assert booking_refusals(s, dob=adult, visit_day=VISIT, telehealth=False, consents=fresh) == []
    old = [_consent(ConsentKind.INFORMED_CONSENT, VISIT - timedelta(days=400))]
    refusals = booking_refusals(s, dob=adult, visit_day=VISIT, telehealth=False, consents=old)
    assert refusals and "every year" in refusals[0].message


def test_guards_minor_and_telehealth_and_settings_as_data() -> None:
    s = GuardSettings()
    minor = date(2014, 5, 1)
    ok = [_consent(ConsentKind.INFORMED_CONSENT, VISIT - timedelta(days=10))]
    rules = [r.rule for r in booking_refusals(s, dob=minor, visit_day=VISIT, telehealth=True, consents=ok)]
    assert rules == ["guardian_consent", "telehealth_consent"]
    relaxed = GuardSettings.from_dict({"telehealth_consent": False, "guardian_consent_for_minors": False,
                                       "unknown": 1})
    assert booking_refusals(relaxed, dob=minor, visit_day=VISIT, telehealth=True, consents=ok) == []
    assert GuardSettings.from_dict(relaxed.to_dict()) == relaxed
    with pytest.raises(ValueError):
        GuardSettings.from_dict({"informed_consent_valid_days": 0})


def test_no_show_risk_rises_with_history_and_explains_itself() -> None:
    reliable = no_show_risk(History(completed=12), lead_days=7, hour=11, weekday=2, confirmed=True)
    flaky = no_show_risk(History(completed=6, no_shows=4, late_cancels=2), lead_days=30, hour=8, weekday=0,
                         confirmed=False)
    new = no_show_risk(History(), lead_days=7, hour=11, weekday=2, confirmed=False)
    assert reliable.score < new.score < flaky.score
    assert reliable.level == "low" and flaky.level == "high"
    text = flaky.explain()
    assert "4 past no-shows" in text and "not confirmed" in text and "early morning" in text
    assert "new client" in new.explain()


def test_waitlist_priority_and_matching_with_reasons() -> None:
    today = date(2026, 3, 10)
    long_wait = Waiting("a", today - timedelta(weeks=6))
    urgent = Waiting("b", today - timedelta(weeks=1), urgency="urgent")
    assert priority(urgent, today).score > priority(long_wait, today).score
    assert "urgent" in priority(urgent, today).explain()
    slot = FreedSlot("dr", datetime(2026, 3, 12, 16, 0))  # Thursday afternoon
    picky_match = Waiting("c", today - timedelta(weeks=2), days=frozenset({3}), times=frozenset({"afternoon"}))
    picky_miss = Waiting("d", today - timedelta(weeks=2), days=frozenset({0}), times=frozenset({"morning"}))
    wrong_provider = Waiting("e", today - timedelta(weeks=9), provider_id="other")
    assert match(wrong_provider, slot, today) is None
    m = match(picky_match, slot, today)
    assert m is not None and "preferred day" in m.explain()
    ranked = [w.id for w, _ in best_matches([picky_miss, picky_match, wrong_provider, urgent], slot, today)]
    assert ranked[0] == "b" and ranked.index("c") < ranked.index("d") and "e" not in ranked
    assert match(Waiting("f", today, telehealth_ok=False), FreedSlot("dr", slot.start_local, telehealth=True),
                 today) is None



def test_waitlist_matches_on_insurance_the_provider_takes() -> None:
    today = date(2026, 3, 10)
    slot = FreedSlot("dr", datetime(2026, 3, 12, 16, 0), payers=frozenset({"Aetna", "Blue Cross Blue Shield"}))
    aetna = Waiting("a", today - timedelta(weeks=1), insurance=" AETNA ")
    cigna = Waiting("c", today - timedelta(weeks=9), urgency="urgent", insurance="Cigna")
    self_pay = Waiting("s", today - timedelta(weeks=1))
    m = match(aetna, slot, today)
    assert m is not None and "provider sees AETNA clients (+5)" in m.explain()
    assert match(cigna, slot, today) is None  # however long and urgent the wait
    assert [w.id for w, _ in best_matches([cigna, self_pay, aetna], slot, today)] == ["a", "s"]
    unknown = FreedSlot("dr", slot.start_local)  # nothing known of the provider's payers: no one excluded
    assert match(cigna, unknown, today) is not None

def test_find_slots_respects_hours_busy_and_buffers_and_ranks() -> None:
    hours = {"dr": [Hours(1, time(9), time(12))], "kim": [Hours(1, time(9), time(17))]}
    busy = {"dr": [Block("x", to_utc(datetime(2026, 3, 10, 10), TZ), to_utc(datetime(2026, 3, 10, 10, 50), TZ),
                         "dr", buffer_after=10)]}
    q = SlotQuery(("dr", "kim"), 50, date(2026, 3, 10), date(2026, 3, 10), step_minutes=30, limit=100)
    slots = find_slots(q, tz=TZ, hours=hours, busy=busy, now=utc(2026, 3, 1))
    dr = sorted(s.start_local.time() for s in slots if s.provider_id == "dr")
    assert dr == [time(9), time(11)]  # 9:30 hits the visit, 10:00–10:30 inside it, 11:00 clears the buffer
    assert all(s.end_local.time() <= time(17) for s in slots)
    assert slots[0].provider_id == "dr"  # the first provider asked for comes first on the same day
    afternoon = find_slots(SlotQuery(("kim",), 50, date(2026, 3, 10), date(2026, 3, 10), time_of_day="afternoon"),
                           tz=TZ, hours=hours, busy=busy, now=utc(2026, 3, 1))
    assert afternoon and all(12 <= s.start_local.hour < 17 for s in afternoon)
    after4 = find_slots(SlotQuery(("kim",), 30, date(2026, 3, 10), date(2026, 3, 10), after=time(16)),
                        tz=TZ, hours=hours, busy=busy, now=utc(2026, 3, 1))
    assert [s.start_local.time() for s in after4] == [time(16), time(16, 15), time(16, 30)]
    past = find_slots(q, tz=TZ, hours=hours, busy=busy, now=utc(2026, 3, 11))
    assert past == []


PROVIDERS = {"p": "Dr. Anita Patel", "k": "Marcus Kim"}
TYPES = {"i": "Intake assessment", "t": "Individual therapy"}
MONDAY = date(2026, 11, 30)


def test_phrase_provider_next_weekday_afternoon() -> None:
    p = parse_phrase("Dr. Patel next Tuesday afternoon", today=MONDAY, providers=PROVIDERS, types=TYPES)
    assert p.provider_ids == ["p"] and p.date_from == p.date_to == date(2026, 12, 8)
    assert p.time_of_day == "afternoon" and p.ignored == []


def test_phrase_any_intake_this_week_after_4pm() -> None:
    p = parse_phrase("any intake slot this week after 4pm", today=MONDAY, providers=PROVIDERS, types=TYPES)
    assert p.type_id == "i" and p.provider_ids == []
    assert (p.date_from, p.date_to) == (MONDAY, date(2026, 12, 6)) and p.after == time(16)


@pytest.mark.parametrize(("text", "check"), [
    ("tomorrow morning with Kim", lambda p: p.provider_ids == ["k"] and p.date_from == date(2026, 12, 1)),
    ("Dec 3 before 10am", lambda p: p.date_from == date(2026, 12, 3) and p.before == time(10)),
    ("between 1 and 3 on friday", lambda p: (p.after, p.before) == (time(13), time(15))
     and p.date_from == date(2026, 12, 4)),
    ("next week", lambda p: (p.date_from, p.date_to) == (date(2026, 12, 7), date(2026, 12, 13))),
    ("Thursday", lambda p: p.date_from == date(2026, 12, 3)),
    ("individual therapy tonight", lambda p: p.type_id == "t" and p.time_of_day == "evening"),
    ("something odd", lambda p: p.ignored == ["something", "odd"] and p.date_to == MONDAY + timedelta(days=13)),
])
def test_phrase_more_forms(text: str, check: object) -> None:
    p = parse_phrase(text, today=MONDAY, providers=PROVIDERS, types=TYPES)
    assert check(p), p  # type: ignore[operator]


def test_phrase_that_names_nothing_is_told_apart_from_one_that_names_something() -> None:
    nothing = parse_phrase("blorp the zorg", today=MONDAY, providers=PROVIDERS, types=TYPES)
    assert nothing.understood_nothing and not nothing.dates_given and nothing.ignored == ["blorp", "zorg"]
    for text in ("Patel", "intake", "tomorrow", "evenings", "after 4pm"):
        assert not parse_phrase(text, today=MONDAY, providers=PROVIDERS, types=TYPES).understood_nothing, text
    said = parse_phrase("Thursday between 1 and 3", today=MONDAY, providers=PROVIDERS, types=TYPES)
    assert said.dates_given and said.describe() == "Thu Dec 03, after 1:00 PM, before 3:00 PM"


def test_outcomes_wait_for_the_visit_check_in_opens_on_the_day() -> None:
    from mentalspace_desktop.domain.scheduling.status import Status, StatusError, check_timing, earliest_check_in

    tz = "America/New_York"
    start = to_utc(datetime(2026, 3, 10, 10, 0), tz)
    assert earliest_check_in(start, tz) == to_utc(datetime(2026, 3, 10, 8, 0), tz)
    just_after_midnight = to_utc(datetime(2026, 3, 12, 0, 30), tz)
    assert earliest_check_in(just_after_midnight, tz) == to_utc(datetime(2026, 3, 12, 0, 0), tz)
    with pytest.raises(StatusError, match=r"Thu Mar 12, 12:30 AM.*from 12:00 AM"):
        check_timing(Status.CHECKED_IN, just_after_midnight, to_utc(datetime(2026, 3, 11, 23, 0), tz), tz)
    check_timing(Status.CHECKED_IN, start, to_utc(datetime(2026, 3, 10, 8, 0), tz), tz)
    for outcome in (Status.COMPLETED, Status.NO_SHOW):
        with pytest.raises(StatusError, match="once it has started"):
            check_timing(outcome, start, start - timedelta(minutes=1), tz)
        check_timing(outcome, start, start, tz)
    check_timing(Status.CANCELLED, start, start - timedelta(days=30), tz)  # cancelling ahead is the point


def test_a_status_that_arrives_set_follows_the_same_rule_when_it_changed() -> None:
    from mentalspace_desktop.domain.scheduling.status import Status, StatusError, check_arrived_timing

    tz = "America/New_York"
    start = to_utc(datetime(2026, 3, 10, 10, 0), tz)
    before = start - timedelta(minutes=10)
    with pytest.raises(StatusError, match="once it has started"):
        check_arrived_timing(Status.NO_SHOW, start, before, tz)  # a new row
    with pytest.raises(StatusError, match="once it has started"):
        check_arrived_timing(Status.COMPLETED, start, before, tz, was=(Status.SCHEDULED, start))
    check_arrived_timing(Status.COMPLETED, start, before, tz, grace=timedelta(minutes=10))  # a clock a little ahead
    # Unchanged: a check-in held since yesterday is not checked again, even when the visit moved.
    check_arrived_timing(Status.CHECKED_IN, start + timedelta(days=7), before, tz, was=(Status.CHECKED_IN, start))
    check_arrived_timing(Status.COMPLETED, start, before, tz, was=(Status.COMPLETED, start))
    # An outcome moved into the future is as early as a fresh one.
    with pytest.raises(StatusError, match="once it has started"):
        check_arrived_timing(Status.COMPLETED, start + timedelta(days=7), start + timedelta(hours=1), tz,
                             was=(Status.COMPLETED, start))
    check_arrived_timing(Status.CANCELLED, start, before - timedelta(days=3), tz, was=(Status.SCHEDULED, start))
