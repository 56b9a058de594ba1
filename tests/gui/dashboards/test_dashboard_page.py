"""The Dashboard page: the figures shown, a status change that updates one clinician's numbers at
once, the drill-down from the team table, and the records behind a figure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pytestqt.qtbot import QtBot

from mentalspace_desktop.gui.bridge import EventBridge
from mentalspace_desktop.gui.dashboards.evidence import ClinicianBreakdownDialog, EvidenceDialog
from mentalspace_desktop.gui.dashboards.page import DashboardPage
from mentalspace_desktop.gui.qt import QApplication, Qt
from mentalspace_desktop.gui.theme import DEFAULT_THEME, apply_theme
from mentalspace_desktop.services.scheduling.appointments import AppointmentService
from mentalspace_desktop.store.scheduling_models import Appointment, AppointmentType
from tests.factories import PracticeFixture

pytestmark = pytest.mark.gui
ET = ZoneInfo("America/New_York")


def _appointments(practice: PracticeFixture, statuses: list[str], who: str = "clinician") -> list[str]:
    """Sessions of the clinician that started a minute ago (so they fall in this week, and are due)."""
    client = practice.add_client(clinician=who)
    start = datetime.now(UTC) - timedelta(minutes=1)
    ids = []
    with practice.admin.store.write(practice.users["admin"]) as s:
        kind = AppointmentType(name="Individual therapy", category="individual", default_minutes=50)
        s.add(kind)
        s.flush()
        for status in statuses:
            a = Appointment(client_id=client.id, provider_id=practice.users[who], type_id=kind.id,
                            start_at=start, end_at=start + timedelta(minutes=50),
                            start_local=start.astimezone(ET).replace(tzinfo=None), time_zone="America/New_York",
                            status=status, booked_at=start - timedelta(days=3))
            s.add(a)
            s.flush()
            ids.append(a.id)
    return ids


def _page(qtbot: QtBot, practice: PracticeFixture, key: str) -> tuple[DashboardPage, EventBridge]:
    session = practice.session_for(key)
    bridge = EventBridge(session.events)
    page = DashboardPage(session, bridge)
    qtbot.addWidget(page)
    page.resize(1280, 800)
    qtbot.waitUntil(lambda: page.board is not None, timeout=30_000)
    if page.period_box.currentIndex() != 0:  # a Monday opens on last week; these sessions are this week's
        with qtbot.waitSignal(page.sig_loaded, timeout=30_000):
            page.period_box.setCurrentIndex(0)
    return page, bridge


def test_a_status_change_updates_the_clinicians_numbers_at_once(qtbot: QtBot, practice: PracticeFixture) -> None:
    ids = _appointments(practice, ["completed", "completed", "checked_in", "scheduled"])
    page, _bridge = _page(qtbot, practice, "clinician")
    clinician = practice.users["clinician"]
    before = page.value_of("kept_visit_rate", clinician)
    assert before is not None and (before.numerator, before.denominator) == (3, 3)
    assert page.tiles["kept_visit_rate"].value.text() == "100%"
    with qtbot.waitSignal(page.sig_loaded, timeout=30_000):
        AppointmentService(practice.session_for("admin")).no_show(ids[3])
    after = page.value_of("kept_visit_rate", clinician)
    assert after is not None and (after.numerator, after.denominator) == (3, 4)
    assert page.tiles["kept_visit_rate"].value.text() == "75%"
    assert page.tiles["no_show_rate"].value.text() == "25%"


def test_the_team_table_drills_down_to_one_clinician(qtbot: QtBot, practice: PracticeFixture) -> None:
    _appointments(practice, ["completed", "no_show"])
    page, _bridge = _page(qtbot, practice, "supervisor")
    assert page.table is not None
    names = [page.model.row(i).name for i in range(page.model.rowCount())]
    assert names == sorted(names) and "Casey Clinician" in names
    assert "Owen Otherclin" not in names  # not on this supervisor's team
    row = names.index("Casey Clinician")
    with qtbot.waitSignal(page.sig_loaded, timeout=30_000):
        page.table.doubleClicked.emit(page.model.index(row, 0))
    assert page.drill == practice.users["clinician"]
    assert page.back_button.isVisibleTo(page)
    assert page.tiles["kept_visit_rate"].value.text() == "50%"


def test_a_figure_lists_the_records_behind_it(qtbot: QtBot, practice: PracticeFixture) -> None:
    _appointments(practice, ["completed", "no_show"])
    page, _bridge = _page(qtbot, practice, "admin")
    page.tiles["kept_visit_rate"].sig_explain.emit("kept_visit_rate")
    breakdown = next(w for w in QApplication.topLevelWidgets() if isinstance(w, ClinicianBreakdownDialog))
    row = next(i for i in range(breakdown.model.rowCount()) if breakdown.model.row(i).name == "Casey Clinician")
    breakdown._choose(breakdown.model.row(row).id)
    qtbot.waitUntil(lambda: any(isinstance(w, EvidenceDialog) and w.isVisible()
                                for w in QApplication.topLevelWidgets()), timeout=30_000)
    evidence = next(w for w in QApplication.topLevelWidgets() if isinstance(w, EvidenceDialog) and w.isVisible())
    assert evidence.model.rowCount() == 2
    assert sum(r.numerator for r in evidence.model.rows()) == 1


def test_roles_without_a_productivity_dashboard_get_none(practice: PracticeFixture) -> None:
    from mentalspace_desktop.services.dashboards import dashboard_kind

    assert dashboard_kind(practice.session_for("front_desk")) is None
    assert dashboard_kind(practice.session_for("billing")) is None


def test_two_clinicians_changed_moments_apart_both_show_their_new_numbers(qtbot: QtBot,
                                                                         practice: PracticeFixture) -> None:
    """Two refreshes in flight at once (one clinician's visit, then another's, while the first is still
    being measured): each starts from the figures then on screen, so the one landing last must not put
    back the other clinician's old numbers."""
    [mine] = _appointments(practice, ["scheduled"])
    [theirs] = _appointments(practice, ["scheduled"], who="other_clinician")
    page, _bridge = _page(qtbot, practice, "admin")
    clinician, other = practice.users["clinician"], practice.users["other_clinician"]
    assert page.value_of("no_show_rate", clinician) is None and page.value_of("no_show_rate", other) is None
    with practice.admin.store.write(practice.users["admin"]) as s:
        for appointment_id in (mine, theirs):
            row = s.get(Appointment, appointment_id)
            assert row is not None
            row.status = "no_show"
    page._pending = {clinician}
    page._refresh_pending()
    page._pending = {other}
    page._refresh_pending()  # the first has not landed: both start from the same figures

    def both_shown() -> bool:
        return all((v := page.value_of("no_show_rate", c)) is not None and v.value == 1 for c in (clinician, other))

    qtbot.waitUntil(both_shown, timeout=20_000)
    qtbot.wait(300)  # nothing still in flight takes either back
    assert both_shown()


def test_switching_periods_quickly_shows_the_last_chosen(qtbot: QtBot, practice: PracticeFixture,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A supervisor picks "This month", then at once "Last week": if the month's (slower) measurement
    lands second, the screen must not show the month's figures under "Last week"."""
    import time

    from mentalspace_desktop.services import dashboards

    page, _bridge = _page(qtbot, practice, "supervisor")
    real = dashboards.load_dashboard
    calls: list[object] = []

    def month_is_slow(*args, **kwargs):  # the real measurement, the first one made to take longer
        calls.append(args[1])
        if len(calls) == 1:
            time.sleep(1.5)
        return real(*args, **kwargs)

    monkeypatch.setattr(dashboards, "load_dashboard", month_is_slow)
    page.period_box.setCurrentIndex(2)  # this month
    page.period_box.setCurrentIndex(1)  # last week
    start, end = page.period()
    qtbot.waitUntil(lambda: len(calls) == 2 and page.refresh_button.isEnabled(), timeout=20_000)
    qtbot.wait(2_500)  # the month's measurement has landed by now
    assert page.board is not None and (page.board.period.start, page.board.period.end) == (start, end)
    assert page.compare_label.text().startswith("Compared with")


def test_my_teams_status_is_in_view_without_a_sideways_scroll(qtbot: QtBot, qapp: QApplication,
                                                              practice: PracticeFixture) -> None:
    """At 1280×800 the page gets what the navigation leaves (about 1040 px): in the product's theme
    (its font) every column of the supervisee table is in view, and the status — what a supervisor
    reads first — is beside the name."""
    apply_theme(qapp, DEFAULT_THEME)
    _appointments(practice, ["completed", "no_show"])
    page, _bridge = _page(qtbot, practice, "supervisor")
    page.resize(1040, 740)
    page.show()
    table = page.table
    assert table is not None
    qtbot.waitUntil(lambda: table.viewport().width() > 0)
    QApplication.processEvents()
    assert page.model.headerData(1, Qt.Orientation.Horizontal) == "Status"
    row = [page.model.row(i).name for i in range(page.model.rowCount())].index("Casey Clinician")
    assert page.model.index(row, 1).data() in ("On track", "Review", "Urgent", "No data")
    assert table.horizontalScrollBar().maximum() == 0
    last = page.model.columnCount() - 1
    assert table.columnViewportPosition(last) + table.columnWidth(last) <= table.viewport().width()
    for column in range(page.model.columnCount()):  # no header cut: each is as wide as its words
        assert table.columnWidth(column) >= table.horizontalHeader().sectionSizeHint(column) - 1, column
