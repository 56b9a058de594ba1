"""The chart header, consents, status changes, and the Clients page around it."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from mentalspace_desktop.domain.clients import ClientStatus, ConsentKind
from mentalspace_desktop.domain.roles import Action, Resource, allows_any
from mentalspace_desktop.gui.bridge import EventBridge
from mentalspace_desktop.gui.clients import ClientsPage
from mentalspace_desktop.gui.clients.chart_dialogs import RecordConsentDialog, StatusDialog
from mentalspace_desktop.gui.qt import QLabel, Qt
from mentalspace_desktop.services.clients import ClientService
from tests.factories import PracticeFixture
from tests.gui.clients.helpers import WAIT_MS, search


def _page(qtbot, practice: PracticeFixture, bridge: EventBridge, role: str = "front_desk") -> ClientsPage:
    page = ClientsPage(practice.session_for(role), bridge)
    qtbot.addWidget(page)
    page.resize(1280, 800)
    page.show()
    return page


def _open(qtbot, page: ClientsPage, client_id: str) -> None:
    with qtbot.waitSignal(page.chart.sig_loaded, timeout=WAIT_MS):
        page.open_client(client_id)


def test_header_of_a_minor_with_missing_consents(
    qtbot,
    practice: PracticeFixture,
    bridge: EventBridge,
    minor_dob: date,
) -> None:
    kid = practice.add_client(
        clinician="clinician",
        last="Okafor",
        first="Amara",
        preferred_name="Mara",
        dob=minor_dob,
        guardian_name="Ngozi Okafor",
        uses_telehealth=True,
    )
    page = _page(qtbot, practice, bridge)
    _open(qtbot, page, kid.id)
    chart = page.chart
    assert chart.name_label.text() == "Amara (Mara) Okafor"
    assert kid.chart_number in chart.meta_label.text() and "Age 12" in chart.meta_label.text()
    assert "Casey Clinician" in chart.meta_label.text()
    assert chart.minor_badge.isVisible() and chart.minor_badge.text() == "Minor"
    assert chart.status_badge.text() == "Active"
    warning = chart.consent_badge.text()
    assert chart.consent_badge.isVisible()
    for label in ("Informed consent", "Guardian consent", "Telehealth consent"):
        assert label in warning
    assert chart.details.values["guardian_name"].text() == "Ngozi Okafor"
    assert chart.timeline_model.rowCount() == 1  # registered (looking at a chart is audited, not listed)
    assert chart.edit_button.isVisible() and chart.status_button.isVisible()


def test_an_adult_has_no_minor_badge(qtbot, practice: PracticeFixture, bridge: EventBridge) -> None:
    adult = practice.add_client(clinician="clinician")
    page = _page(qtbot, practice, bridge)
    _open(qtbot, page, adult.id)
    assert not page.chart.minor_badge.isVisible()
    assert page.chart.consent_badge.text() == "⚠ Missing consent: Informed consent"


def test_recording_consents_clears_the_warning_and_revoking_brings_it_back(
    qtbot, practice: PracticeFixture, bridge: EventBridge, monkeypatch
) -> None:
    adult = practice.add_client(clinician="clinician")
    page = _page(qtbot, practice, bridge)
    _open(qtbot, page, adult.id)
    chart = page.chart
    dialog = chart.record_consent()
    assert isinstance(dialog, RecordConsentDialog)
    assert dialog.kind.currentData() == ConsentKind.INFORMED_CONSENT  # the first missing one is proposed
    dialog.signed_on.clear()
    qtbot.keyClicks(dialog.signed_on, "01/02/2025")
    qtbot.keyClicks(dialog.signed_by, "Sam Rivera")
    with qtbot.waitSignal(chart.sig_loaded, timeout=WAIT_MS):  # saved, announced, chart refreshed
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert not chart.consent_badge.isVisible()
    assert chart.consents_model.rowCount() == 1
    assert chart.consents_model.index(0, 6).data() == "In force"
    assert any(
        chart.timeline_model.index(r, 2).data() == "Consent recorded"
        for r in range(chart.timeline_model.rowCount())
    )

    show_consents(chart)
    chart.consents_view.selectRow(0)
    assert chart.revoke_button.isEnabled()
    monkeypatch.setattr(chart, "confirm_revoke", lambda label: True)
    with qtbot.waitSignal(chart.sig_loaded, timeout=WAIT_MS):
        qtbot.mouseClick(chart.revoke_button, Qt.MouseButton.LeftButton)
    assert chart.consent_badge.isVisible()
    assert chart.consents_model.index(0, 6).data() == "Revoked"


def test_a_release_needs_a_recipient(qtbot, practice: PracticeFixture, bridge: EventBridge) -> None:
    adult = practice.add_client()
    dialog = RecordConsentDialog(practice.admin, adult.id, kind=ConsentKind.RELEASE_OF_INFORMATION)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.recipient.isEnabled()
    qtbot.keyClicks(dialog.expires_on, "01/01/2000")
    with qtbot.waitSignal(dialog.sig_save_failed, timeout=WAIT_MS):
        dialog.submit()
    assert "names who may receive" in dialog.error_for("recipient")
    assert "expire before" in dialog.error_for("expires_on")
    assert dialog.isVisible()


def test_discharge_with_a_date(qtbot, practice: PracticeFixture, bridge: EventBridge) -> None:
    client = practice.add_client(clinician="clinician")
    page = _page(qtbot, practice, bridge)
    _open(qtbot, page, client.id)
    dialog = page.chart.change_status()
    assert isinstance(dialog, StatusDialog)
    assert not dialog.discharged_on.isEnabled()
    qtbot.mouseClick(dialog.radios[ClientStatus.DISCHARGED], Qt.MouseButton.LeftButton)
    assert dialog.discharged_on.isEnabled()
    dialog.discharged_on.clear()
    qtbot.keyClicks(dialog.discharged_on, "03/01/2025")
    with qtbot.waitSignal(page.chart.sig_loaded, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert page.chart.status_badge.text() == "Discharged 03/01/2025"
    stored = ClientService(practice.admin).get(client.id)
    assert (stored.status, stored.discharged_on) == ("discharged", date(2025, 3, 1))


def test_editing_from_the_chart_refreshes_it_and_the_results(
    qtbot,
    practice: PracticeFixture,
    bridge: EventBridge,
) -> None:
    client = practice.add_client(clinician="clinician", last="Rivera", first="Sam")
    page = _page(qtbot, practice, bridge)
    assert search(qtbot, page.search, "rivera") == [client.id]
    _open(qtbot, page, client.id)
    dialog = page.chart.edit()
    assert dialog is not None
    assert page.has_unsaved_changes() is False
    dialog.form.inputs["first_name"].clear()  # type: ignore[attr-defined]
    qtbot.keyClicks(dialog.form.inputs["first_name"], "Samantha")
    assert page.has_unsaved_changes()
    with qtbot.waitSignals(
        [page.chart.sig_loaded, page.search.controller.sig_results_ready], timeout=WAIT_MS
    ):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert page.chart.name_label.text() == "Samantha Rivera"
    assert page.search.model.summary(0).display_name == "Rivera, Samantha"
    assert not page.has_unsaved_changes()


def test_register_from_the_page_opens_the_new_chart(
    qtbot, practice: PracticeFixture, bridge: EventBridge
) -> None:
    page = _page(qtbot, practice, bridge)
    qtbot.mouseClick(page.register_button, Qt.MouseButton.LeftButton)
    dialog = page.register_dialog
    assert dialog is not None and dialog.isVisible()
    for key, value in (("first_name", "Noor"), ("last_name", "Haddad")):
        qtbot.keyClicks(dialog.form.inputs[key], value)
    qtbot.keyClicks(dialog.form.dob, "07/04/1999")
    assert page.has_unsaved_changes()
    with qtbot.waitSignal(page.chart.sig_loaded, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert page.chart.name_label.text() == "Noor Haddad"
    assert page.stack.currentWidget() is not page.placeholder


@pytest.mark.parametrize("role", ["admin", "supervisor", "clinician", "billing", "front_desk"])
def test_register_button_follows_the_role_table(
    qtbot,
    practice: PracticeFixture,
    bridge: EventBridge,
    role: str,
) -> None:
    page = _page(qtbot, practice, bridge, role)
    may = allows_any(practice.session_for(role).actor.role, Resource.DEMOGRAPHICS, Action.WRITE)
    assert page.register_button.isVisible() is may
    assert may  # every role in the table may register somebody (a clinician onto their own caseload)


def test_register_is_hidden_when_the_role_may_not_write(
    qtbot,
    practice: PracticeFixture,
    bridge: EventBridge,
    monkeypatch,
) -> None:
    monkeypatch.setattr("mentalspace_desktop.gui.clients.page.allows_any", lambda *a: False)
    page = _page(qtbot, practice, bridge)
    assert not page.register_button.isVisible()
    assert page.new_client() is None


def test_export_csv_of_my_clients(
    qtbot,
    practice: PracticeFixture,
    bridge: EventBridge,
    tmp_path: Path,
    monkeypatch,
) -> None:
    practice.add_client(clinician="clinician", last="Mine")
    practice.add_client(clinician="other_clinician", last="Theirs")
    page = _page(qtbot, practice, bridge, "clinician")
    out = tmp_path / "clients.csv"
    monkeypatch.setattr(page, "ask_export_path", lambda: out)
    with qtbot.waitSignal(page.sig_exported, timeout=WAIT_MS) as done:
        qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    assert done.args == [1, str(out)]
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["last_name"] for r in rows] == ["Mine"]
    assert "Exported 1 client" in page.export_note.text()


def test_at_1280_by_800_the_chart_has_the_room_the_list_collapses_and_the_split_is_remembered(
        qtbot, practice: PracticeFixture, bridge: EventBridge) -> None:
    from mentalspace_desktop.gui.qt import QScrollArea

    client = practice.add_client(last="Featherstonehaugh-Whitmore", first="Maximiliana",
                                 email="maximiliana.featherstonehaugh-whitmore@longdomain-example.org")
    page = _page(qtbot, practice, bridge)
    page.resize(1280 - 210, 760)  # the main window's page area on a 1280×800 laptop
    _open(qtbot, page, client.id)
    left, chart = page.splitter.sizes()
    assert left <= 320 and chart >= 700, "the chart keeps most of the width"
    scrolls = page.chart.details.findChildren(QScrollArea)
    assert scrolls and all(not s.horizontalScrollBar().isVisible() for s in scrolls), "nothing hides sideways"
    email = page.chart.details.values["email"]
    assert email.width() <= email.parentWidget().width()
    assert email.toolTip() in ("", client.email) and email.accessibleDescription() == client.email

    page.splitter.setSizes([0, 1070])  # dragged shut
    page.splitter.splitterMoved.emit(0, 1)
    assert page.list_collapsed()
    again = _page(qtbot, practice, bridge)
    assert again.list_collapsed(), "the split is remembered"
    again.focus_search()  # Ctrl+F: finding someone opens the list again
    assert not again.list_collapsed() and again.splitter.sizes()[0] > 0


def show_consents(chart: Any) -> None:
    """The consents tab, wherever it is (the clinical tab precedes it for roles that chart)."""
    chart.tabs.setCurrentIndex([chart.tabs.tabText(i) for i in range(chart.tabs.count())].index("C&onsents"))


def test_an_empty_consents_table_says_none_on_file(qtbot, practice: PracticeFixture, bridge: EventBridge) -> None:
    client = practice.add_client(last="Quist", first="Ona")
    page = _page(qtbot, practice, bridge)
    _open(qtbot, page, client.id)
    show_consents(page.chart)
    labels = [w for w in page.chart.consents_view.findChildren(QLabel, "emptyState") if w.isVisible()]
    assert labels and labels[0].text() == "No consents on file."
