"""The calendar against a real store: booking by drag, a move onto a conflict refused with the
reason, keyboard booking and check-in, "this and following" in a series, and the models checked by
the model tester."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta

import pytest

from mentalspace_desktop.domain.calendar_layout import CalendarView
from mentalspace_desktop.domain.scheduling.times import to_utc
from mentalspace_desktop.gui.bridge import EventBridge
from mentalspace_desktop.gui.calendar.appointment_dialog import AppointmentDialog
from mentalspace_desktop.gui.calendar.booking_dialog import BookingDialog
from mentalspace_desktop.gui.calendar.grid import GUTTER
from mentalspace_desktop.gui.calendar.model import CalendarEntry
from mentalspace_desktop.gui.calendar.schedule_page import SchedulePage
from mentalspace_desktop.gui.qt import QPoint, Qt
from mentalspace_desktop.services.scheduling.appointments import AppointmentService
from mentalspace_desktop.services.scheduling.series import SeriesService
from tests.factories import PracticeFixture
from tests.gui.calendar.helpers import Schedule

pytestmark = [
    pytest.mark.gui,
]
WAIT = 20_000


@pytest.fixture
def page(qtbot, practice: PracticeFixture, bridge: EventBridge, schedule: Schedule) -> SchedulePage:
    p = SchedulePage(practice.session_for("front_desk"), bridge, today=lambda: schedule.day,
                     now=lambda: schedule.at(8, 5))
    qtbot.addWidget(p)
    p.resize(1280, 800)
    with qtbot.waitSignal(p.calendar.sig_entries_loaded, timeout=WAIT):
        p.show()
        p.start(CalendarView.PROVIDERS, schedule.day)
    return p


def column_of(page: SchedulePage, user_id: str) -> int:
    return next(i for i, c in enumerate(page.calendar.model.columns) if c.provider_id == user_id)


def point(page: SchedulePage, column: int, moment: datetime) -> QPoint:
    grid = page.calendar.grid
    x = GUTTER + (column + 0.5) * grid.column_width()
    y = grid.model.scale.minute_of(moment, moment.date()) * grid.ppm
    return QPoint(int(x), int(y) + 2)


def drag(qtbot, page: SchedulePage, start: QPoint, end: QPoint) -> None:
    grid = page.calendar.grid
    qtbot.mousePress(grid, Qt.MouseButton.LeftButton, pos=start)
    for i in range(1, 5):
        qtbot.mouseMove(grid, start + (end - start) * i / 4)
    qtbot.mouseRelease(grid, Qt.MouseButton.LeftButton, pos=end)


def reload(qtbot, page: SchedulePage) -> None:
    with qtbot.waitSignal(page.calendar.sig_entries_loaded, timeout=WAIT):
        page.reload()


def test_models_pass_the_model_tester(qtmodeltester, page: SchedulePage, schedule: Schedule, qtbot) -> None:
    schedule.book("a", provider="clinician", client="Ana Rivera", hour=9)
    schedule.book("b", provider="supervisor", client="Marcus Hill", hour=9, minute=30, room="Room 2")
    reload(qtbot, page)
    assert page.calendar.model.rowCount() == 2
    qtmodeltester.check(page.calendar.model, force_py=True)


def test_booking_by_drag_opens_the_form_with_the_dragged_time_and_books(
        qtbot, page: SchedulePage, schedule: Schedule, practice: PracticeFixture) -> None:
    column = column_of(page, practice.users["clinician"])
    drag(qtbot, page, point(page, column, schedule.at(10)), point(page, column, schedule.at(10, 55)))
    dialog = page.dialog
    assert isinstance(dialog, BookingDialog)
    assert dialog.provider_box.currentData() == practice.users["clinician"]
    assert dialog.start_local() == schedule.at(10)
    assert dialog.minutes.value() == 60  # the dragged length, snapped to the grid
    dialog.choose_client(schedule.clients["Ana Rivera"], "Rivera, Ana")
    dialog.type_box.setCurrentIndex(dialog.type_box.findText("Intake assessment"))
    assert "CPT 90791" in dialog.type_info.text()
    with qtbot.waitSignal(dialog.sig_checked, timeout=WAIT):
        dialog.check_now()
    assert "free" in dialog.check_label.text().lower()
    with qtbot.waitSignal(page.calendar.sig_entries_loaded, timeout=WAIT):
        dialog.book_button.click()
    booked = [e for e in page.calendar.model.entries() if e.client_id == schedule.clients["Ana Rivera"]]
    assert [(e.start, e.end, e.type_name) for e in booked] == [
        (schedule.at(10), schedule.at(11), "Intake assessment")]


def test_moving_a_block_onto_a_conflict_is_refused_and_says_why(
        qtbot, page: SchedulePage, schedule: Schedule, practice: PracticeFixture) -> None:
    first = schedule.book("first", provider="clinician", client="Ana Rivera", hour=9)
    schedule.book("second", provider="clinician", client="Marcus Hill", hour=11, room="Room 2")
    reload(qtbot, page)
    column = column_of(page, practice.users["clinician"])
    grid = page.calendar.grid
    start = point(page, column, schedule.at(9, 10))
    target = point(page, column, schedule.at(11, 10))
    qtbot.mousePress(grid, Qt.MouseButton.LeftButton, pos=start)
    for i in range(1, 5):
        qtbot.mouseMove(grid, start + (target - start) * i / 4)
    assert grid.drag is not None and grid.drag.problem  # live feedback while still dragging
    assert "Not free" in page.calendar.feedback.text() or "not free" in page.calendar.feedback.text()
    assert "Hill, Marcus" in page.calendar.feedback.text()
    with qtbot.waitSignal(grid.sig_move_refused, timeout=WAIT):
        qtbot.mouseRelease(grid, Qt.MouseButton.LeftButton, pos=target)
    assert page.calendar.feedback.text().startswith("Not moved:")
    assert "Hill, Marcus" in page.calendar.feedback.text()
    assert AppointmentService(practice.admin).get(first).start_local == schedule.at(9)  # nothing saved


def test_moving_a_block_to_free_time_saves_it(
        qtbot, page: SchedulePage, schedule: Schedule, practice: PracticeFixture) -> None:
    first = schedule.book("first", provider="clinician", client="Ana Rivera", hour=9)
    reload(qtbot, page)
    column = column_of(page, practice.users["clinician"])
    with qtbot.waitSignal(page.calendar.sig_move_did_finish, timeout=WAIT):
        drag(qtbot, page, point(page, column, schedule.at(9, 10)), point(page, column, schedule.at(13, 10)))
    assert AppointmentService(practice.admin).get(first).start_local == schedule.at(13)


def test_keyboard_books_at_the_cursor_and_checks_in(
        qtbot, page: SchedulePage, schedule: Schedule, practice: PracticeFixture) -> None:
    appointment = schedule.book("a", provider="clinician", client="Ana Rivera", hour=9)
    reload(qtbot, page)
    grid = page.calendar.grid
    grid.setFocus()
    qtbot.keyClick(grid, Qt.Key.Key_Tab)  # to the first appointment
    assert grid.selected_id == appointment
    assert page.calendar.details.entry is not None and page.calendar.details.entry.id == appointment
    # Three weeks ahead (the services' own clock): refused, naming the visit's time.
    qtbot.keyClick(grid, Qt.Key.Key_I)
    qtbot.waitUntil(lambda: "Not checked in" in page.calendar.feedback.text(), timeout=WAIT)
    assert "9:00 AM" in page.calendar.feedback.text()
    assert AppointmentService(practice.admin).get(appointment).status == "scheduled"
    # On the day, at the page's 8:05: checked in with one key.
    page.source.appointments.now = lambda: to_utc(schedule.at(8, 5), "America/New_York")
    qtbot.keyClick(grid, Qt.Key.Key_I)
    qtbot.waitUntil(lambda: page.calendar.feedback.text().endswith("checked in."), timeout=WAIT)
    assert AppointmentService(practice.admin).get(appointment).status == "checked_in"
    qtbot.waitUntil(lambda: page.calendar.model.entry(appointment).status == "checked_in", timeout=WAIT)
    for _ in range(8):  # two hours later, same column
        qtbot.keyClick(grid, Qt.Key.Key_Down)
    assert grid.selected_id == ""
    qtbot.keyClick(grid, Qt.Key.Key_N)
    dialog = page.dialog
    assert isinstance(dialog, BookingDialog)
    assert dialog.start_local() == schedule.at(11)
    assert dialog.provider_box.currentData() == practice.users["clinician"]
    dialog.reject()


def test_editing_this_and_following_moves_only_the_later_sessions(
        qtbot, page: SchedulePage, schedule: Schedule, practice: PracticeFixture) -> None:
    from mentalspace_desktop.domain.scheduling.recurrence import Pattern, make_rule
    from mentalspace_desktop.services.scheduling.appointments import BookingRequest

    service = SeriesService(practice.admin)
    start = schedule.at(9)
    series = service.book_series(BookingRequest(
        provider_id=practice.users["clinician"], type_id=schedule.types["Individual therapy"], start_local=start,
        client_id=schedule.clients["Ana Rivera"], room_id=schedule.rooms["Room 1"]),
        make_rule(Pattern.WEEKLY, start, count=4))
    ids = service.series_occurrences(series)
    dialog = page.open_appointment(ids[1])
    assert isinstance(dialog, AppointmentDialog)
    assert dialog.scope_box.isVisibleTo(dialog)
    dialog.time_box.setCurrentIndex(dialog.time_box.findData(15 * 60))
    dialog.scope_group.button(1).click()  # this and following
    with qtbot.waitSignal(dialog.sig_checked, timeout=WAIT):
        dialog.preview()
    assert dialog.sessions.count() == 3 and "Free" in dialog.check_label.text()
    with qtbot.waitSignal(page.calendar.sig_entries_loaded, timeout=WAIT):
        dialog.save_button.click()
    starts = [service.get(i).start_local for i in ids]
    week = timedelta(days=7)
    assert starts == [start, schedule.at(15) + week, schedule.at(15) + 2 * week, schedule.at(15) + 3 * week]


def test_a_change_that_collides_lists_the_colliding_session(
        qtbot, page: SchedulePage, schedule: Schedule, practice: PracticeFixture) -> None:
    schedule.book("busy", provider="clinician", client="Marcus Hill", hour=15, days=7, room="Room 2")
    target = schedule.book("a", provider="clinician", client="Ana Rivera", hour=9, days=7)
    dialog = page.open_appointment(target)
    assert isinstance(dialog, AppointmentDialog)
    dialog.time_box.setCurrentIndex(dialog.time_box.findData(15 * 60))
    with qtbot.waitSignal(dialog.sig_checked, timeout=WAIT):
        dialog.preview()
    assert "collide" in dialog.check_label.text() and "Hill, Marcus" in dialog.check_label.text()
    dialog.reject()


def test_week_and_month_views_show_the_booked_days(qtbot, page: SchedulePage, schedule: Schedule) -> None:
    schedule.book("a", provider="clinician", client="Ana Rivera", hour=9)
    schedule.book("b", provider="supervisor", client="Priya Shah", hour=9, room="Room 2", days=1)
    with qtbot.waitSignal(page.calendar.sig_entries_loaded, timeout=WAIT):
        page.calendar.set_view(CalendarView.WEEK, schedule.day)
    assert len(page.calendar.model.columns) == 5  # nothing at the weekend: a work week
    assert not page.calendar.grid.crowded()  # three providers side by side: read in full, words at once
    assert all(e.detailed for e in page.calendar.model.entries())
    assert {p.column for p in page.calendar.model.placed()} == {1, 2}  # Tuesday and Wednesday
    with qtbot.waitSignal(page.calendar.sig_entries_loaded, timeout=WAIT):
        page.calendar.set_view(CalendarView.MONTH, schedule.day)
    cell = next(c for w in page.calendar.model.month() for c in w if c.day == schedule.day)
    assert len(cell.spans) == 1
    with qtbot.waitSignal(page.calendar.sig_entries_loaded, timeout=WAIT):
        page.calendar.month.sig_day_chosen.emit(schedule.day + timedelta(days=1))
    assert page.calendar.model.view is CalendarView.DAY and page.calendar.model.day == date.fromordinal(
        schedule.day.toordinal() + 1)


def test_rows_pulled_from_the_hub_refresh_the_open_calendar(
        qtbot, practice: PracticeFixture, schedule: Schedule) -> None:
    """Another workstation's booking arrives by sync (no service event here): the open calendar reloads."""
    from mentalspace_desktop.gui.main_window import MainWindow, NavId
    from mentalspace_desktop.gui.sync.controller import PulledChanges

    window = MainWindow(practice.session_for("front_desk"))
    qtbot.addWidget(window)
    window.show()
    page = window.show_page(NavId.SCHEDULE)
    assert isinstance(page, SchedulePage)
    qtbot.waitUntil(lambda: not page.calendar._loading, timeout=WAIT)
    with qtbot.waitSignal(page.calendar.sig_entries_loaded, timeout=WAIT):
        window._data_did_change(PulledChanges(tables=frozenset({"appointments", "busy_blocks"})))
    with qtbot.assertNotEmitted(page.calendar.sig_entries_loaded, wait=200):
        window._data_did_change(PulledChanges(tables=frozenset({"clients"})))
    window.close_for_sign_out()


def test_dragging_the_lower_edge_changes_the_length(
        qtbot, page: SchedulePage, schedule: Schedule, practice: PracticeFixture) -> None:
    visit = schedule.book("a", provider="clinician", client="Ana Rivera", hour=9)  # 9:00–9:50
    reload(qtbot, page)
    grid = page.calendar.grid
    placed = next(p for p in grid.model.placed() if p.span.id == visit)
    edge = grid.block_rect(placed)
    start = QPoint(int(edge.center().x()), int(edge.bottom()) - 2)
    target = point(page, placed.column, schedule.at(10, 15))
    with qtbot.waitSignal(page.calendar.sig_move_did_finish, timeout=WAIT):
        drag(qtbot, page, start, target)
    item = AppointmentService(practice.admin).get(visit)
    assert (item.start_local, item.end_local) == (schedule.at(9), schedule.at(10, 15))


def test_a_week_read_brief_shows_the_words_of_the_blocks_with_room_for_them(
        qtbot, monkeypatch: pytest.MonkeyPatch, page: SchedulePage, schedule: Schedule) -> None:
    """Read brief (as a week of 20 providers side by side is), a block that has room for words is
    painted without them, and its details are read in the background and painted a moment later;
    selecting a brief block shows its details at once."""
    a = schedule.book("a", provider="clinician", client="Ana Rivera", hour=9)
    b = schedule.book("b", provider="supervisor", client="Priya Shah", hour=11, room="Room 2", days=1)
    calendar = page.calendar
    monkeypatch.setattr(calendar.grid, "crowded", lambda: True)
    with qtbot.waitSignal(calendar.sig_entries_loaded, timeout=WAIT):
        calendar.set_view(CalendarView.WEEK, schedule.day)
    model = calendar.model
    shown_a, shown_b = model.shown(a), model.shown(b)
    assert shown_a is not None and shown_b is not None
    assert not shown_a.detailed and shown_a.client_name == "" and shown_a.provider_id == schedule.practice.users[
        "clinician"]
    calendar.grid.select(b)  # the side panel reads it in full at once
    assert "Shah" in calendar.details.text.text()
    assert model.shown(b).detailed  # type: ignore[union-attr]
    calendar.grid.repaint()  # block a is wide: painted without words, its details asked for
    qtbot.waitUntil(lambda: bool((e := model.shown(a)) and e.detailed), timeout=WAIT)
    assert model.shown(a).client_name == "Rivera, Ana"  # type: ignore[union-attr]
    assert calendar.grid.grab().width() > 0


def test_details_read_before_a_move_do_not_put_the_moved_block_back(
        qtbot, monkeypatch: pytest.MonkeyPatch, page: SchedulePage, schedule: Schedule,
        practice: PracticeFixture) -> None:
    """A crowded week asks for its blocks' details in the background. When such a read made before a
    move lands while the move is being saved (the block already drawn at its new time), it must not
    put the block back at its old time nor overwrite what is shown with what it read: only an entry
    still as it was asked for takes its details."""
    a = schedule.book("a", provider="clinician", client="Ana Rivera", hour=9)
    calendar = page.calendar
    monkeypatch.setattr(calendar.grid, "crowded", lambda: True)
    with qtbot.waitSignal(calendar.sig_entries_loaded, timeout=WAIT):
        calendar.set_view(CalendarView.WEEK, schedule.day)
    model = calendar.model
    brief = model.shown(a)
    assert brief is not None and not brief.detailed
    read_before = calendar.source.details([brief])  # the background read, made before the move
    assert [e.start for e in read_before] == [schedule.at(9)]
    calendar.grid.select(a)
    calendar.grid.setFocus()
    with qtbot.waitSignal(calendar.sig_move_did_finish, timeout=WAIT):
        qtbot.keyClick(calendar.grid, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)  # a slot later
        moving = model.shown(a)
        assert moving is not None and moving.start > schedule.at(9)  # drawn at once where it goes
        model.add_details(read_before)  # the read lands while the move is saved
        assert model.shown(a) == moving
        assert next(p for p in model.placed() if p.span.id == a).span == moving
    qtbot.waitUntil(lambda: (e := model.entry(a)) is not None and e.start == moving.start, timeout=WAIT)
    assert AppointmentService(practice.admin).get(a).start_local == moving.start


def test_a_crowded_week_follows_changes_from_elsewhere_and_checks_in_by_key(
        qtbot, monkeypatch: pytest.MonkeyPatch, page: SchedulePage, schedule: Schedule,
        practice: PracticeFixture) -> None:
    """A week read brief (too crowded for words): another workstation moves a visit while the details
    of its block are being read. The calendar reloads brief with the block at its new time; the
    details read for the older load, answering after, never bring the old time back. Tab and I then
    select the brief visit (the side panel shows it in full) and check it in with one key."""
    a = schedule.book("a", provider="clinician", client="Ana Rivera", hour=9)
    calendar = page.calendar
    monkeypatch.setattr(calendar.grid, "crowded", lambda: True)
    with qtbot.waitSignal(calendar.sig_entries_loaded, timeout=WAIT):
        calendar.set_view(CalendarView.WEEK, schedule.day)
    model, grid = calendar.model, calendar.grid
    old_brief = model.shown(a)
    assert old_brief is not None and not old_brief.detailed
    read_before = calendar.source.details([old_brief])
    real, landed, gate = calendar.source.details, threading.Event(), threading.Event()

    def late(brief: list[CalendarEntry], **within: tuple[datetime, datetime]) -> list[CalendarEntry]:
        """The background read of this block's details, made before the move, answering after the
        newer load; every other read as it is."""
        if not any(b is old_brief for b in brief) or threading.current_thread() is threading.main_thread():
            return real(brief, **within)
        gate.wait(WAIT / 1000)
        landed.set()
        return read_before

    monkeypatch.setattr(calendar.source, "details", late)
    calendar._details_asked.clear()
    calendar._load_details([old_brief])  # as the load's first paint asks
    with qtbot.waitSignal(calendar.sig_entries_loaded, timeout=WAIT):
        AppointmentService(practice.admin).move(a, schedule.at(11))  # the event a pull raises, too
    gate.set()
    qtbot.waitUntil(landed.is_set, timeout=WAIT)
    qtbot.wait(100)  # its answer is handed over (and dropped: an older load's)
    shown = model.shown(a)
    assert shown is not None and shown.start == schedule.at(11)
    assert next(p for p in model.placed() if p.span.id == a).span.start == schedule.at(11)
    page.source.appointments.now = lambda: to_utc(schedule.at(10, 5), "America/New_York")
    grid.setFocus()
    qtbot.keyClick(grid, Qt.Key.Key_Tab)
    assert grid.selected_id == a
    assert calendar.details.entry is not None and calendar.details.entry.detailed
    assert calendar.details.entry.start == schedule.at(11)
    qtbot.keyClick(grid, Qt.Key.Key_I)
    qtbot.waitUntil(lambda: calendar.feedback.text().endswith("checked in."), timeout=WAIT)
    assert AppointmentService(practice.admin).get(a).status == "checked_in"


def test_blocks_asked_for_by_a_paint_of_an_older_load_still_get_their_details(
        qtbot, monkeypatch: pytest.MonkeyPatch, page: SchedulePage, schedule: Schedule) -> None:
    """A paint asks for its blocks' details just after it (a zero timer); a newer load may come in
    between. What that paint asked for is not the newer load's: asking for it must not keep the
    newer load's blocks from asking for their own."""
    a = schedule.book("a", provider="clinician", client="Ana Rivera", hour=9)
    calendar = page.calendar
    monkeypatch.setattr(calendar.grid, "crowded", lambda: True)
    with qtbot.waitSignal(calendar.sig_entries_loaded, timeout=WAIT):
        calendar.set_view(CalendarView.WEEK, schedule.day)
    older = calendar.model.shown(a)
    assert older is not None and not older.detailed
    reload(qtbot, page)  # a newer load of the same week: new entries, none asked for yet
    calendar._load_details([older])  # the older paint's request, arriving late
    calendar.grid.repaint()  # the newer load's paint asks for its own
    qtbot.waitUntil(lambda: bool((e := calendar.model.shown(a)) and e.detailed), timeout=WAIT)
    assert calendar.model.shown(a).client_name == "Rivera, Ana"  # type: ignore[union-attr]


def test_the_month_after_a_crowded_week_is_read_in_full(
        qtbot, monkeypatch: pytest.MonkeyPatch, page: SchedulePage, schedule: Schedule) -> None:
    """A month is never read brief (it shows every visit's words): after a week read brief, the
    month's visits come in full and the day chosen from it too; switching while the brief week is
    still loading never leaves the month with the week's brief entries."""
    schedule.book("a", provider="clinician", client="Ana Rivera", hour=9)
    schedule.book("b", provider="supervisor", client="Priya Shah", hour=11, room="Room 2", days=1)
    calendar = page.calendar
    monkeypatch.setattr(calendar.grid, "crowded",
                        lambda: calendar.model.view in (CalendarView.DAY, CalendarView.WEEK))
    with qtbot.waitSignal(calendar.sig_entries_loaded, timeout=WAIT):
        calendar.set_view(CalendarView.WEEK, schedule.day)
    assert not all(e.detailed for e in calendar.model.entries())
    calendar.page(1)  # the next week starts loading brief ...
    with qtbot.waitSignal(calendar.sig_entries_loaded, timeout=WAIT):
        calendar.set_view(CalendarView.MONTH, schedule.day)  # ... and the month is asked meanwhile
    qtbot.wait(50)
    assert calendar.model.view is CalendarView.MONTH
    entries = calendar.model.entries()
    assert len(entries) == 2 and all(e.detailed for e in entries)
    assert sorted(e.client_name for e in entries) == ["Rivera, Ana", "Shah, Priya"]


def test_a_brief_block_moved_to_another_day_of_the_week_is_read_where_it_now_is(
        qtbot, monkeypatch: pytest.MonkeyPatch, page: SchedulePage, schedule: Schedule,
        practice: PracticeFixture) -> None:
    """Read brief, a visit is moved to another day of the week on screen before the reload that the
    change brings has landed: reading it in full (selected, pointed at, checked in) finds it where it
    now is — the week on screen is looked in, not only the day it was read on."""
    a = schedule.book("a", provider="clinician", client="Ana Rivera", hour=9)
    calendar = page.calendar
    monkeypatch.setattr(calendar.grid, "crowded", lambda: True)
    with qtbot.waitSignal(calendar.sig_entries_loaded, timeout=WAIT):
        calendar.set_view(CalendarView.WEEK, schedule.day)
    monkeypatch.setattr(calendar, "reload", lambda: None)  # the reload the change brings, not landed yet
    AppointmentService(practice.admin).move(a, schedule.at(10, days=2))
    entry = calendar.model.entry(a)
    assert entry is not None and entry.detailed and entry.client_name == "Rivera, Ana"
    assert entry.start == schedule.at(10, days=2)
    assert next(p for p in calendar.model.placed() if p.span.id == a).span.start == entry.start


def test_leaving_a_crowded_week_for_a_day_reads_no_details_of_the_week(
        qtbot, monkeypatch: pytest.MonkeyPatch, page: SchedulePage, schedule: Schedule) -> None:
    """From a week read brief to the providers' day: until the day's own read lands, the week's brief
    blocks of that day are drawn wide in their providers' columns. Their details are not read in the
    background meanwhile (the day is being read in full, and replaces them)."""
    for who, client, room in (("clinician", "Ana Rivera", "Room 1"), ("supervisor", "Priya Shah", "Room 2"),
                              ("other_clinician", "Marcus Hill", None)):
        for hour in (9, 11, 14):
            schedule.book(f"{who}{hour}", provider=who, client=client, hour=hour, room=room)
    calendar = page.calendar
    page.resize(640, 800)  # a week's blocks too narrow for words (three side by side in a day)
    monkeypatch.setattr(calendar.grid, "crowded", lambda: calendar.model.view is CalendarView.WEEK)
    with qtbot.waitSignal(calendar.sig_entries_loaded, timeout=WAIT):
        calendar.set_view(CalendarView.WEEK, schedule.day)
    qtbot.wait(100)
    assert not any(e.detailed for e in calendar.model.entries())
    asked: list[list[str]] = []
    real = calendar.source.details

    def counted(brief: list[CalendarEntry], **within: tuple[datetime, datetime]) -> list[CalendarEntry]:
        if threading.current_thread() is not threading.main_thread():
            asked.append([e.id for e in brief])
        return real(brief, **within)

    monkeypatch.setattr(calendar.source, "details", counted)
    with qtbot.waitSignal(calendar.sig_entries_loaded, timeout=WAIT):
        calendar.set_view(CalendarView.PROVIDERS, schedule.day)
        calendar.grid.repaint()  # the week's brief blocks, wide in the day's columns
        qtbot.wait(50)
    qtbot.wait(100)
    assert asked == []
    assert all(e.detailed for e in calendar.model.entries())


def test_dragging_a_brief_block_checks_and_moves_it_as_it_is_in_full(
        qtbot, monkeypatch: pytest.MonkeyPatch, page: SchedulePage, schedule: Schedule,
        practice: PracticeFixture) -> None:
    """In a week read brief, a block grabbed with the mouse is read in full first: a telehealth visit
    (brief entries do not say so) is checked as telehealth while dragged, a collision names the
    client it collides with, and the move is saved."""
    visit = schedule.book("tele", provider="clinician", client="Ana Rivera", hour=9, telehealth=True,
                          link="https://meet.example.org/abc")
    schedule.book("busy", provider="clinician", client="Marcus Hill", hour=11, room="Room 2")
    calendar = page.calendar
    monkeypatch.setattr(calendar.grid, "crowded", lambda: True)
    with qtbot.waitSignal(calendar.sig_entries_loaded, timeout=WAIT):
        calendar.set_view(CalendarView.WEEK, schedule.day)
    brief = calendar.model.shown(visit)
    assert brief is not None and not brief.detailed and not brief.telehealth
    column = next(i for i, c in enumerate(calendar.model.columns) if c.day == schedule.day)
    grid = calendar.grid
    start = point(page, column, schedule.at(9, 10))
    onto = point(page, column, schedule.at(11, 10))
    qtbot.mousePress(grid, Qt.MouseButton.LeftButton, pos=start)
    assert grid.drag is not None and grid.drag.entry is not None and grid.drag.entry.telehealth
    for i in range(1, 5):
        qtbot.mouseMove(grid, start + (onto - start) * i / 4)
    assert grid.drag.problem and "Hill, Marcus" in grid.drag.problem
    free = point(page, column, schedule.at(14, 10))
    qtbot.mouseMove(grid, free)
    assert grid.drag.problem is None, grid.drag.problem
    with qtbot.waitSignal(calendar.sig_move_did_finish, timeout=WAIT):
        qtbot.mouseRelease(grid, Qt.MouseButton.LeftButton, pos=free)
    item = AppointmentService(practice.admin).get(visit)
    assert item.start_local == schedule.at(14) and item.telehealth
