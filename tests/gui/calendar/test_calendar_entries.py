"""The calendar read made as the screen's entries directly (``CalendarReadService.entries``) says
exactly what ``entry_of`` says of each item of the same read: same entries, same order, every field —
for the front desk (every visit in full) and a clinician (a colleague's visits as busy time), with
history, a cancellation, telehealth, a confirmed visit and approved time off in the week."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from mentalspace_desktop.domain.records import fields_of
from mentalspace_desktop.gui import localtime
from mentalspace_desktop.gui.calendar.model import CalendarEntry
from mentalspace_desktop.gui.calendar.service_source import entry_of
from mentalspace_desktop.services.calendar_view import CalendarReadService
from tests.factories import PracticeFixture
from tests.services.scheduling_fixtures import Sched, build
from tests.services.test_calendar_read import _history_and_week, later

pytestmark = pytest.mark.gui


@pytest.fixture
def sched(practice: PracticeFixture) -> Iterator[Sched]:
    before = localtime._zone
    localtime.set_practice_zone("America/New_York", remember=False)  # entry_of shows times in the practice's zone
    yield build(practice)
    localtime._zone = before


@pytest.mark.parametrize("who", ["front_desk", "clinician"])
def test_entries_are_the_items_as_the_screen_shows_them(sched: Sched, who: str) -> None:
    _history_and_week(sched)
    read = CalendarReadService(sched.session(who), now=later)
    first, last = date(2026, 3, 9), date(2026, 3, 15)
    direct = read.entries(first, last)
    copied = [entry_of(i) for i in read.calendar(first, last)]
    assert direct == copied
    assert all(set(vars(e)) == fields_of(CalendarEntry) for e in direct)  # every field set, none defaulted
    assert {e.busy_only for e in direct} == {True, False}
    assert any(e.telehealth and e.room_name == "" for e in direct)
    assert any(e.risk is not None for e in direct)


PLACES_AND_COLOURS = ("id", "start", "end", "provider_id", "provider_name", "room_id", "location_id", "client_id",
                      "type_id", "type_name", "colour", "status", "group_id", "editable", "busy_only", "active")
"""What a brief entry holds: all a block needs to be placed, filtered and coloured."""


@pytest.mark.parametrize("who", ["front_desk", "clinician"])
def test_a_brief_read_places_and_colours_every_block_as_the_full_read(sched: Sched, who: str) -> None:
    """The front desk's brief read needs no client (its role reaches every visit); a clinician's
    still asks whose client each visit is: a colleague's client stays busy time, nameless."""
    _history_and_week(sched)
    read = CalendarReadService(sched.session(who), now=later)
    first, last = date(2026, 3, 9), date(2026, 3, 15)
    full = {e.id: e for e in read.entries(first, last)}
    brief = {e.id: e for e in read.entries(first, last, brief=True)}
    assert brief.keys() == full.keys()
    for key, b in brief.items():
        f = full[key]
        assert {n: getattr(b, n) for n in PLACES_AND_COLOURS} == {n: getattr(f, n) for n in PLACES_AND_COLOURS}
        assert b.detailed is b.busy_only  # busy time has no more to tell
        if not b.busy_only:
            assert (b.client_name, b.room_name, b.risk, b.join_url) == ("", "", None, "")
    assert any(not b.detailed for b in brief.values())
    assert any(b.busy_only and b.type_name == "Busy" for b in brief.values()) is (who == "clinician")
    some = [b for b in brief.values() if not b.detailed][:2]
    details = read.entries(first, last, ids=[b.id for b in some])
    assert sorted(details, key=lambda e: e.id) == sorted((full[b.id] for b in some), key=lambda e: e.id)
    assert all(e.detailed for e in details)


def test_a_clinician_asking_for_a_colleagues_visits_by_id_gets_busy_time_only(sched: Sched) -> None:
    """The ``ids`` read (what the calendar asks for a block's details) is the range read narrowed, with
    the same permissions: a clinician who names a colleague's client's visits (ids learnt from the
    front desk, say) gets each as the busy time the range read shows — no client id, name or type —
    whether read brief or in full; their own client's visit comes in full."""
    _history_and_week(sched)
    first, last = date(2026, 3, 9), date(2026, 3, 15)
    desk = {e.id: e for e in CalendarReadService(sched.session("front_desk"), now=later).entries(first, last)}
    theirs = [e.id for e in desk.values() if e.client_id == sched.other_client]
    mine = [e.id for e in desk.values() if e.client_id == sched.client]
    assert theirs and mine
    read = CalendarReadService(sched.session("clinician"), now=later)
    for brief in (False, True):
        got = {e.id: e for e in read.entries(first, last, ids=theirs + mine[:1], brief=brief)}
        for key in theirs:  # a cancelled visit frees its time: it is not even busy
            e = got.get(key)
            assert e is None or (e.busy_only and e.client_id == "" and e.client_name == "" and e.type_id == ""
                                 and e.type_name in ("Busy", "Time off", "Busy (other calendar)")), e
        assert any(key in got for key in theirs)
        assert got[mine[0]].client_id == sched.client and not got[mine[0]].busy_only
        assert got[mine[0]].detailed is not brief


def test_details_read_after_a_change_place_the_block_as_it_now_is(qtbot, sched: Sched) -> None:
    """Between the brief read and the read of its details a visit is cancelled, another moved later
    that day and a third moved to next week: the cancelled block is washed out where it was, the
    moved one placed anew, and the one gone from the week stays as read (its words are not asked
    again until the next load, which the change brings)."""
    from datetime import datetime

    from mentalspace_desktop.domain.calendar_layout import CalendarView
    from mentalspace_desktop.gui.calendar.model import CalendarModel
    from mentalspace_desktop.gui.calendar.service_source import ServiceSource
    from mentalspace_desktop.services.scheduling.appointments import AppointmentService
    from tests.services.test_calendar_read import _book

    desk = AppointmentService(sched.session("front_desk"), now=later)
    cancelled, moved, away = (_book(desk, sched, sched.client, "clinician", datetime(2026, 3, 10, h))
                              for h in (9, 11, 14))
    source = ServiceSource(sched.session("front_desk"))
    source.appointments.now = later
    model = CalendarModel()
    model.set_view(CalendarView.WEEK, date(2026, 3, 10))
    model.set_entries(source.entries(datetime(2026, 3, 9), datetime(2026, 3, 16), brief=True))
    brief = {k: model.shown(k) for k in (cancelled, moved, away)}
    assert all(e is not None and not e.detailed for e in brief.values())
    desk.cancel(cancelled, reason="ill")
    desk.move(moved, datetime(2026, 3, 10, 16))
    desk.move(away, datetime(2026, 3, 17, 14))
    asked = [e for e in brief.values() if e is not None]
    model.add_details(source.details(asked), asked=asked)
    now = {k: e for k in brief if (e := model.shown(k)) is not None}
    assert not now[cancelled].active and now[cancelled].detailed
    assert now[moved].start == datetime(2026, 3, 10, 16) and now[moved].detailed
    placed = {p.span.id: p for p in model.placed()}
    assert placed[moved].start_minute > placed[cancelled].start_minute and not placed[cancelled].span.active  # type: ignore[attr-defined]
    assert now[away] is brief[away]
    calls: list[list[str]] = []
    model.details_of = lambda b: calls.append([e.id for e in b]) or source.details(b)  # type: ignore[func-returns-value]
    assert model.entry(away) is brief[away] and model.entry(away) is brief[away]
    assert calls == [[away]]
