"""Finding clients: the Ctrl+K dialog driven by keyboard only, the query forms, scope and the empty state."""

from __future__ import annotations

from datetime import date

from mentalspace_desktop.domain.clients import ClientStatus
from mentalspace_desktop.gui.clients import ClientSearchDialog
from mentalspace_desktop.gui.clients.search_dialog import ClientSearchPanel
from mentalspace_desktop.gui.clients.search_model import Column
from mentalspace_desktop.gui.qt import Qt
from mentalspace_desktop.services.clients import ClientService
from mentalspace_desktop.store.models import Client
from tests.factories import PracticeFixture
from tests.gui.clients.helpers import WAIT_MS, search


def _clients(practice: PracticeFixture) -> dict[str, str]:
    return {k: c.id for k, c in _records(practice).items()}


def _records(practice: PracticeFixture) -> dict[str, Client]:
    return {
        "jordan": practice.add_client(
            clinician="clinician",
            last="Smith",
            first="Jordan",
            dob=date(1988, 3, 14),
            phone_mobile="404-555-0142",
        ),
        "alex": practice.add_client(
            clinician="clinician",
            last="Smith",
            first="Alexandra",
            preferred_name="Alex",
            dob=date(1975, 11, 2),
            phone_mobile="678-555-0199",
        ),
        "pat": practice.add_client(
            clinician="other_clinician",
            last="Smithers",
            first="Pat",
            dob=date(1992, 7, 9),
            phone_home="770-555-0101",
        ),
    }


def test_keyboard_only_pick_returns_the_chosen_id(qtbot, practice: PracticeFixture) -> None:
    ids = _clients(practice)
    dialog = ClientSearchDialog(practice.session_for("front_desk"))
    qtbot.addWidget(dialog)
    dialog.show()
    assert search(qtbot, dialog.panel, "smi") == [ids["alex"], ids["jordan"], ids["pat"]]
    assert dialog.panel.view.currentIndex().row() == 0  # the top match is highlighted
    qtbot.keyClick(dialog.box, Qt.Key.Key_Down)
    qtbot.keyClick(dialog.box, Qt.Key.Key_Down)
    qtbot.keyClick(dialog.box, Qt.Key.Key_Up)
    assert dialog.box.hasFocus() or not dialog.isActiveWindow()  # focus never left the box
    with qtbot.waitSignal(dialog.sig_client_chosen, timeout=WAIT_MS) as chosen:
        qtbot.keyClick(dialog.box, Qt.Key.Key_Return)
    assert chosen.args == [ids["jordan"]]
    assert not dialog.isVisible()


def test_enter_typed_before_results_opens_the_top_match(qtbot, practice: PracticeFixture) -> None:
    alex = _records(practice)["alex"]
    dialog = ClientSearchDialog(practice.admin)
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(dialog.sig_client_chosen, timeout=WAIT_MS) as chosen:
        qtbot.keyClicks(dialog.box, alex.chart_number)
        qtbot.keyClick(dialog.box, Qt.Key.Key_Enter)
    assert chosen.args == [alex.id]


def test_escape_closes_without_choosing(qtbot, practice: PracticeFixture) -> None:
    dialog = ClientSearchDialog(practice.admin)
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.assertNotEmitted(dialog.sig_client_chosen):
        qtbot.keyClick(dialog.box, Qt.Key.Key_Escape)
    assert not dialog.isVisible()


def test_double_click_chooses(qtbot, practice: PracticeFixture) -> None:
    ids = _clients(practice)
    dialog = ClientSearchDialog(practice.admin)
    qtbot.addWidget(dialog)
    dialog.show()
    search(qtbot, dialog.panel, "smithers")
    view = dialog.panel.view
    rect = view.visualRect(dialog.model.index(0, 0))
    with qtbot.waitSignal(dialog.sig_client_chosen, timeout=WAIT_MS) as chosen:
        qtbot.mouseClick(
            view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center()
        )  # a real one presses first
        qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert chosen.args == [ids["pat"]]


def test_query_forms(qtbot, practice: PracticeFixture) -> None:
    records = _records(practice)
    ids = {k: c.id for k, c in records.items()}
    dialog = ClientSearchDialog(practice.admin)
    qtbot.addWidget(dialog)
    panel = dialog.panel
    assert search(qtbot, panel, "smith j") == [ids["jordan"]]
    assert search(qtbot, panel, "alex") == [ids["alex"]]
    assert search(qtbot, panel, "3/14/1988") == [ids["jordan"]]
    assert search(qtbot, panel, "0199") == [ids["alex"]]
    assert search(qtbot, panel, "(770) 555") == [ids["pat"]]
    chart = records["jordan"].chart_number  # MS-XXXX-XXXX
    assert search(qtbot, panel, chart.lower()) == [ids["jordan"]]
    assert ids["jordan"] in search(qtbot, panel, chart[:5])  # "MS-7K" narrows as it is typed
    row = panel.model.summary(panel.model.row_of(ids["jordan"]))
    assert (row.chart_number, row.phone, row.clinician_name) == (chart, "(404) 555-0142", "Casey Clinician")


def test_no_match_shows_the_empty_state_and_a_hint(qtbot, practice: PracticeFixture) -> None:
    _clients(practice)
    dialog = ClientSearchDialog(practice.admin)
    qtbot.addWidget(dialog)
    dialog.show()
    assert "MS-7K3Q" in dialog.panel.hint.text() and "3/14/1988" in dialog.panel.hint.text()
    assert search(qtbot, dialog.panel, "zzyzx") == []
    assert dialog.panel.empty.isVisible()
    assert dialog.panel.empty.text() == "No clients match “zzyzx”."
    assert search(qtbot, dialog.panel, "smith") != []
    assert not dialog.panel.empty.isVisible()


def test_results_respect_the_clinicians_caseload(qtbot, practice: PracticeFixture) -> None:
    ids = _clients(practice)
    mine = ClientSearchDialog(practice.session_for("clinician"))
    theirs = ClientSearchDialog(practice.session_for("other_clinician"))
    desk = ClientSearchDialog(practice.session_for("front_desk"))
    for d in (mine, theirs, desk):
        qtbot.addWidget(d)
    assert search(qtbot, mine.panel, "smi") == [ids["alex"], ids["jordan"]]
    assert search(qtbot, theirs.panel, "smi") == [ids["pat"]]
    assert search(qtbot, desk.panel, "smi") == [ids["alex"], ids["jordan"], ids["pat"]]


def _starting_panel(qtbot, session) -> ClientSearchPanel:
    panel = ClientSearchPanel(session, compact=True)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitUntil(lambda: not panel.controller.pending, timeout=WAIT_MS)
    return panel


def test_a_clinician_opens_on_their_caseload_and_the_desk_on_recent_clients(qtbot, practice: PracticeFixture) -> None:
    ids = _clients(practice)
    clinician = _starting_panel(qtbot, practice.session_for("clinician"))
    assert set(clinician.model.client_ids()) == {ids["jordan"], ids["alex"]}
    assert clinician.caption.text() == "Your caseload"

    desk_session = practice.session_for("front_desk")
    desk = _starting_panel(qtbot, desk_session)
    assert desk.model.client_ids() == [] and desk.caption.text() == "Recently opened"
    assert desk.empty.isVisible() and "Clients you open appear here" in desk.empty.text()
    ClientService(desk_session).open_chart(ids["pat"])
    ClientService(desk_session).open_chart(ids["jordan"])
    with qtbot.waitSignal(desk.controller.sig_results_ready, timeout=WAIT_MS):
        desk.refresh()
    assert desk.model.client_ids() == [ids["jordan"], ids["pat"]]  # the latest first
    assert not desk.empty.isVisible()


def test_a_phone_search_shows_the_phone_and_a_discharged_row_says_why_it_is_grey(
        qtbot, practice: PracticeFixture) -> None:
    ids = _clients(practice)
    ClientService(practice.admin).set_status(ids["jordan"], ClientStatus.DISCHARGED, on=date(2026, 1, 5))
    panel = _starting_panel(qtbot, practice.admin)
    assert search(qtbot, panel, "0142") == [ids["jordan"]]
    assert not panel.view.isColumnHidden(Column.PHONE) and panel.view.isColumnHidden(Column.DOB)
    assert panel.model.index(0, Column.PHONE).data() == "(404) 555-0142"
    assert panel.model.index(0, Column.NAME).data() == "Smith, Jordan (discharged)"  # the narrow list
    assert panel.model.index(0, Column.STATUS).data() == "Discharged"  # the Ctrl+K dialog's column
    tip = panel.model.index(0, Column.NAME).data(Qt.ItemDataRole.ToolTipRole)
    assert "no longer in care" in tip and "clinician Casey Clinician" in tip
    assert panel.model.index(0, Column.NAME).data(Qt.ItemDataRole.ForegroundRole) is not None
