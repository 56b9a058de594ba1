"""The Alerts and Data quality screens and the dashboard's panels, driven with pytest-qt: the list a
clinician sees, acknowledging from the keyboard, each alert and finding opening the screen that fixes
it, the goals panel, and evidence dates in the practice's format."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import update

from mentalspace_desktop.gui.bridge import EventBridge
from mentalspace_desktop.gui.dashboards.alerts_page import AlertsPage
from mentalspace_desktop.gui.dashboards.data_quality_page import DataQualityPage
from mentalspace_desktop.gui.dashboards.evidence import practice_dates
from mentalspace_desktop.gui.dashboards.page import DashboardPage
from mentalspace_desktop.gui.localtime import format_date
from mentalspace_desktop.gui.qt import Qt
from mentalspace_desktop.services import alerts, goals
from mentalspace_desktop.services.data_quality import Kind
from mentalspace_desktop.store.models import Note, User
from tests.factories import PracticeFixture

pytestmark = pytest.mark.gui
WAIT = 30_000


def _now() -> datetime:
    return datetime.now().astimezone()


@pytest.fixture
def alerting(practice: PracticeFixture) -> tuple[PracticeFixture, str, str]:
    """The clinician has a note unsigned for nine days and a client without informed consent."""
    today = date.today()
    with practice.admin.store.write(practice.users["admin"]) as s:
        s.execute(update(User).values(hipaa_training_on=today - timedelta(days=30)))
    client = practice.add_client(clinician="clinician")
    with practice.admin.store.write(practice.users["admin"]) as s:
        note = Note(client_id=client.id, author_id=practice.users["clinician"], note_type="progress",
                    service_date=today - timedelta(days=9))
        s.add(note)
        s.flush()
        note_id = note.id
    alerts.generate_alerts(practice.admin.store, now=_now())
    return practice, note_id, client.id


def _alerts_page(qtbot: QtBot, practice: PracticeFixture, key: str) -> AlertsPage:
    session = practice.session_for(key)
    page = AlertsPage(session, EventBridge(session.events))
    qtbot.addWidget(page)
    page.resize(1280, 800)
    page.show()
    qtbot.waitUntil(lambda: page.model.rowCount() > 0, timeout=WAIT)
    return page


def test_a_clinician_acknowledges_and_opens_what_fixes_an_alert(qtbot: QtBot, alerting) -> None:
    practice, note_id, client_id = alerting
    page = _alerts_page(qtbot, practice, "clinician")
    rows = page.model.rows()
    assert {r.user_id for r in rows} == {practice.users["clinician"]}
    note_row = next(i for i, r in enumerate(rows) if r.record_id == note_id)
    page.table.selectRow(note_row)
    page.table.setFocus()
    with qtbot.waitSignal(page.sig_open_note, timeout=WAIT) as opened:
        qtbot.keyClick(page.table, Qt.Key.Key_Return)
    assert opened.args == [note_id]
    with qtbot.waitSignal(page.sig_loaded, timeout=WAIT):
        qtbot.keyClick(page, Qt.Key.Key_K, Qt.KeyboardModifier.AltModifier)  # Ac&knowledge
    assert page.selected() is not None and page.selected().state == "acknowledged"
    consent_row = next(i for i, r in enumerate(page.model.rows()) if r.alert_type == "consent_missing")
    page.table.selectRow(consent_row)
    with qtbot.waitSignal(page.sig_open_client, timeout=WAIT) as opened:
        page.open_button.click()
    assert opened.args == [client_id, "consents"]
    with qtbot.waitSignal(page.sig_loaded, timeout=WAIT):
        page.resolve_selected("Consent signed at the desk")
    assert all(r.alert_type != "consent_missing" for r in page.model.rows())  # resolved leave the open list


def test_filters_and_the_supervisors_view(qtbot: QtBot, alerting) -> None:
    practice, note_id, _client = alerting
    page = _alerts_page(qtbot, practice, "supervisor")
    assert page.clinician_box is not None
    with qtbot.waitSignal(page.sig_loaded, timeout=WAIT):
        page.type_box.setCurrentIndex(page.type_box.findData("unsigned_note"))
    assert [r.record_id for r in page.model.rows()] == [note_id]
    with qtbot.waitSignal(page.sig_loaded, timeout=WAIT):
        page.severity_box.setCurrentIndex(page.severity_box.findText("Info"))
    assert page.model.rowCount() == 0  # the note is past day 7: a warning
    with qtbot.waitSignal(page.sig_loaded, timeout=WAIT):
        page.severity_box.setCurrentIndex(page.severity_box.findText("Warning"))
    assert [r.record_id for r in page.model.rows()] == [note_id]
    with qtbot.waitSignal(page.sig_loaded, timeout=WAIT):
        page.set_filters(clinician_id=practice.users["supervisor"])
    assert page.model.rowCount() == 0


def test_the_dashboard_shows_alerts_and_goals(qtbot: QtBot, alerting) -> None:
    practice, _note, _client = alerting
    goals.save_goal(practice.session_for("supervisor"), clinician_id=practice.users["clinician"],
                    metric_id="kept_visit_rate", typed_target=85, start=date.today().replace(day=1),
                    end=date.today() + timedelta(days=40), now=_now())
    session = practice.session_for("clinician")
    page = DashboardPage(session, EventBridge(session.events))
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.sig_side_loaded, timeout=WAIT):
        pass
    assert page.alerts_model.rowCount() >= 2 and "critical" in page.alert_counts.text()
    assert [g.state.value for g in page.goals_panel.model.rows()] == ["active"]
    assert page.goals_panel.new_button is None  # a clinician does not set goals
    with qtbot.waitSignal(page.sig_open_alerts, timeout=WAIT) as asked:
        page.alerts_table.doubleClicked.emit(page.alerts_model.index(0, 1))
    assert asked.args == ["", page.alerts_model.row(0).id]


def test_each_data_quality_finding_opens_where_it_is_corrected(qtbot: QtBot, alerting) -> None:
    practice, note_id, client_id = alerting
    session = practice.session_for("clinician")
    page = DataQualityPage(session, EventBridge(session.events))
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.sig_loaded, timeout=WAIT):
        page.show()
    kinds = {f.kind for f in page.model.rows()}
    assert {Kind.NOTE_WITHOUT_APPOINTMENT, Kind.INCOMPLETE_DEMOGRAPHICS} <= kinds
    page.kind_box.setCurrentIndex(page.kind_box.findData(Kind.NOTE_WITHOUT_APPOINTMENT.value))
    with qtbot.waitSignal(page.sig_open_note, timeout=WAIT) as opened:
        page.open_button.click()
    assert opened.args == [note_id]
    page.kind_box.setCurrentIndex(page.kind_box.findData(Kind.INCOMPLETE_DEMOGRAPHICS.value))
    with qtbot.waitSignal(page.sig_open_client, timeout=WAIT) as opened:
        page.table.doubleClicked.emit(page.model.index(0, 0))
    assert opened.args == [client_id, "details"]


def test_evidence_names_records_with_the_practices_dates() -> None:
    shown = practice_dates("Progress note of 2026-11-03 · First session 2026-02-30")
    assert shown == f"Progress note of {format_date(date(2026, 11, 3))} · First session 2026-02-30"
    assert "2026-11-03" not in shown


def test_the_navigation_counts_alerts_and_a_panel_alert_opens_its_fix(qtbot: QtBot, alerting) -> None:
    from mentalspace_desktop.gui.main_window import MainWindow, NavId

    practice, note_id, client_id = alerting
    window = MainWindow(practice.session_for("clinician"))
    qtbot.addWidget(window)
    window.show()
    item = window.nav.item(window.nav_ids().index(NavId.ALERTS))
    open_now = len(alerts.list_alerts(practice.session_for("clinician")))
    qtbot.waitUntil(lambda: item.text() == f"Alerts  ({open_now})", timeout=WAIT)
    assert "open" in item.data(Qt.ItemDataRole.AccessibleTextRole)
    consent = next(a for a in alerts.list_alerts(practice.session_for("clinician"))
                   if a.alert_type == "consent_missing")
    opened: list[tuple[str, str | None]] = []
    clients: object = window.show_page(NavId.CLIENTS)
    clients.open_client = lambda cid, section=None: opened.append((cid, section))  # type: ignore[attr-defined]
    window.open_alerts("", consent.id)  # what a double-click in the dashboard's alert panel asks for
    qtbot.waitUntil(lambda: opened == [(client_id, "consents")], timeout=WAIT)
    alerts.acknowledge(practice.session_for("clinician"), consent.id, now=_now())  # the count follows events
    alerts.resolve(practice.session_for("clinician"), consent.id, now=_now())
    qtbot.waitUntil(lambda: item.text() == f"Alerts  ({open_now - 1})", timeout=WAIT)
    window.close_for_sign_out()


def test_a_chart_opens_at_the_section_that_fixes_a_finding(qtbot: QtBot, alerting) -> None:
    from mentalspace_desktop.gui.clients import ClientsPage

    practice, _note, client_id = alerting
    session = practice.session_for("clinician")
    page = ClientsPage(session, EventBridge(session.events))
    qtbot.addWidget(page)
    page.show()
    chart = page.chart
    page.open_client(client_id, "consents")
    assert chart.tabs.currentWidget() is chart.consents_view.parentWidget()
    page.open_client(client_id, "details")
    assert chart.tabs.currentWidget() is chart.details
    page.open_client(client_id, "appointments")
    assert chart.tabs.currentWidget() is chart.appointments
