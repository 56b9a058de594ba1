"""The Sync, Conflicts, Devices and hub-log pages: models checked by the tester, actions in workers."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from mentalspace_desktop.gui.qt import Qt
from mentalspace_desktop.gui.sync.conflicts_page import ConflictsPage
from mentalspace_desktop.gui.sync.devices_page import DevicesPage, HubLogPage
from mentalspace_desktop.gui.sync.status_page import SyncPage
from mentalspace_desktop.store.models import Client
from mentalspace_desktop.store.sync_models import Conflict
from mentalspace_desktop.sync import parked
from tests.factories import PracticeFixture
from tests.gui.sync.conftest import WAIT, controller_for
from tests.sync.test_end_to_end import World, register
from tests.sync.test_schedule_end_to_end import completed_ahead

pytestmark = pytest.mark.gui


def _conflict(practice: PracticeFixture, client: Client) -> str:
    """As the hub records one: the clinician's e-mail arrived last and stands; the desk's was replaced."""
    with practice.admin.store.write() as s:
        c = Conflict(table_name="clients", row_id=client.id, client_id=client.id, field="email",
                     base_value=json.dumps(None), hub_value=json.dumps("front@desk.example"),
                     device_value=json.dumps("clinician@own.example"), kept="device",
                     reason="Both changed the e-mail while apart.", author_id=practice.users["clinician"],
                     other_author_id=practice.users["front_desk"], status="open")
        s.add(c)
        s.flush()
        return c.id


def test_conflicts_page_keeps_the_other_value(qtbot, qtmodeltester, practice: PracticeFixture) -> None:
    client = practice.add_client(clinician="clinician", email="clinician@own.example")
    conflict_id = _conflict(practice, client)
    page = ConflictsPage(practice.session_for("clinician"))
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.sig_loaded, timeout=WAIT):
        page.show()
    qtmodeltester.check(page.model, force_py=True)
    assert page.selected() is not None and page.selected().id == conflict_id
    assert page.this_card.value.text() == "clinician@own.example"
    assert page.this_card.author.text() == "Written by Casey Clinician"
    assert page.other_card.value.text() == "front@desk.example"
    assert page.other_card.author.text() == "Written by Dana Desk"
    assert page.this_card.standing.isVisible() and not page.other_card.standing.isVisible()
    with qtbot.waitSignal(page.sig_resolved, timeout=WAIT), qtbot.waitSignal(page.sig_loaded, timeout=WAIT):
        page.other_card.button.click()
    with practice.admin.store.read() as s:
        assert s.get(Client, client.id).email == "front@desk.example"  # type: ignore[union-attr]
        assert s.get(Conflict, conflict_id).status == "resolved"  # type: ignore[union-attr]
    assert page.model.rowCount() == 0 and page.empty.isVisible()
    assert "front@desk.example" in page.message.text()


@pytest.mark.slow
def test_sync_page_shows_runs_and_state(qtbot, qtmodeltester, world: World) -> None:
    desk = world.desk("admin")
    controller = controller_for(desk)
    page = SyncPage(desk.session, controller)
    qtbot.addWidget(page)
    register(desk, "Paged")
    with qtbot.waitSignal(controller.sig_run_did_finish, timeout=WAIT), \
            qtbot.waitSignal(page.sig_loaded, timeout=WAIT):
        controller.start()
    qtbot.waitUntil(lambda: page.runs_model.rowCount() >= 1, timeout=WAIT)
    qtmodeltester.check(page.runs_model, force_py=True)
    run = page.runs_model.row(0)
    assert run.ok and run.pushed >= 1
    assert page.state_label.text() == "Up to date"
    assert page.hub_label.text() == world.hub.url
    assert "approved" in page.device_label.text()
    assert page.rejections_hint.text().startswith("None")
    assert "wait" not in page.last_label.text()
    with desk.session.store.write() as s:  # a row that came before the row it refers to
        parked.park(s, {"table": "appointments", "row_id": "early", "server_seq": 99, "row": {}})
    with qtbot.waitSignal(page.sig_loaded, timeout=WAIT):
        page.reload()
    assert "1 received record waits for a record it refers to" in page.last_label.text()
    controller.stop()


@pytest.mark.slow
def test_sync_page_shows_an_outcome_the_hub_refused(qtbot, world: World) -> None:
    """A visit marked completed before it started (this workstation's clock runs ahead): the hub
    refuses it, and the Sync page lists the refusal with the rule's words — nothing vanishes."""
    desk, _visit = completed_ahead(world)
    controller = controller_for(desk)
    page = SyncPage(desk.session, controller)
    qtbot.addWidget(page)
    page.resize(1040, 740)
    page.show()
    with qtbot.waitSignal(controller.sig_run_did_finish, timeout=WAIT), \
            qtbot.waitSignal(page.sig_loaded, timeout=WAIT):
        controller.start()
    qtbot.waitUntil(lambda: page.rejections_model.rowCount() == 2, timeout=WAIT)
    shown = {page.rejections_model.index(i, 0).data(): page.rejections_model.index(i, 3).data()
             for i in range(2)}
    assert set(shown) == {"Appointment", "Appointment status"}
    assert all("can be marked completed once it has started" in why for why in shown.values())
    assert page.rejections_table.isVisibleTo(page)
    controller.stop()


@pytest.mark.slow
def test_devices_page_approves_and_revokes_against_the_hub(qtbot, qtmodeltester, world: World,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    admin = world.desk("admin")
    newcomer = world.desk("clinician", approve=False)
    controller = controller_for(admin)
    assert admin.sync().ok  # the admin's own workstation is approved and has synced
    page = DevicesPage(admin.session, controller)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.sig_loaded, timeout=WAIT):
        page.show()
    qtmodeltester.check(page.model, force_py=True)
    device_id = newcomer.session.store.device_id
    assert page.selected() is not None and page.selected().id == device_id  # pending ones come first
    assert page.approve_button.isEnabled()
    with qtbot.waitSignal(page.sig_device_did_change, timeout=WAIT), qtbot.waitSignal(page.sig_loaded,
                                                                                      timeout=WAIT):
        page.approve_button.click()
    assert world.hub.sql("SELECT status FROM devices WHERE id = :d", d=device_id) == [("approved",)]
    assert "approved" in page.message.text()
    page.select(device_id)
    assert not page.approve_button.isEnabled() and page.revoke_button.isEnabled()
    monkeypatch.setattr(page, "ask_revoke_reason", lambda _d: "left the practice")
    with qtbot.waitSignal(page.sig_device_did_change, timeout=WAIT), qtbot.waitSignal(page.sig_loaded,
                                                                                      timeout=WAIT):
        page.revoke_button.click()
    assert world.hub.sql("SELECT status, revoked_reason FROM devices WHERE id = :d",
                         d=device_id) == [("revoked", "left the practice")]
    page.select(admin.session.store.device_id)
    assert not page.revoke_button.isEnabled()  # never the workstation in use

    log = HubLogPage(admin.session, controller)
    qtbot.addWidget(log)
    with qtbot.waitSignal(log.sig_loaded, timeout=WAIT):
        log.show()
    qtmodeltester.check(log.model, force_py=True)
    assert any(r.device_id == admin.session.store.device_id for r in log.model.rows())
    # At 1280 px (the page beside the navigation) every column fits without a sideways scroll, even
    # with a long workstation name and a long error: those end in "…" and their tooltips say it all.
    first = log.model.rows()[0]
    long_error = "The hub refused the connection: its certificate is not the one this workstation trusts " * 2
    log.model.set_rows([replace(first, device_name="Front desk PC by the upstairs waiting room (east wing)",
                                ok=False, error=long_error)] + log.model.rows())
    log._fit_names()
    log.resize(1040, 700)
    qtbot.waitUntil(lambda: log.table.viewport().width() > 0)
    header = log.table.horizontalHeader()
    assert header.length() <= log.table.viewport().width(), (header.length(), log.table.viewport().width())
    qtbot.waitUntil(lambda: log.table.horizontalScrollBar().maximum() == 0, timeout=2000)  # nothing to scroll
    result = log.model.index(0, log.model.result_column)
    assert header.sectionSize(log.model.result_column) < log.table.sizeHintForColumn(log.model.result_column)
    assert long_error.strip() in result.data(Qt.ItemDataRole.ToolTipRole)
    assert "unchanged" in result.data(Qt.ItemDataRole.ToolTipRole)
    controller.stop()


@pytest.mark.slow
def test_devices_page_removes_a_person_from_a_workstation(qtbot, world: World,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    admin, laptop = world.desk("admin"), world.desk("clinician")
    controller = controller_for(admin)
    assert admin.sync().ok and laptop.sync().ok
    page = DevicesPage(admin.session, controller)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.sig_loaded, timeout=WAIT):
        page.show()
    device_id = laptop.session.store.device_id
    page.select(device_id)
    assert page.selected().staff == ("clin",)  # type: ignore[union-attr]
    assert page.remove_person_button.isEnabled()
    asked: list[str] = []

    def choose(device: object) -> str:
        asked.append(getattr(device, "name", ""))
        return "clin"

    monkeypatch.setattr(page, "ask_person_to_remove", choose)
    with qtbot.waitSignal(page.sig_device_did_change, timeout=WAIT), qtbot.waitSignal(page.sig_loaded,
                                                                                      timeout=WAIT):
        page.remove_person_button.click()
    assert asked == ["desk clinician"]
    removed = world.hub.sql("SELECT removed_at FROM device_users WHERE device_id = :d", d=device_id)
    assert removed and removed[0][0] is not None
    assert "no longer works on" in page.message.text()
    page.select(device_id)
    assert page.selected().staff == () and not page.remove_person_button.isEnabled()  # type: ignore[union-attr]
    controller.stop()


def test_conflicts_keep_the_clients_name_and_do_not_say_here(qtbot, practice: PracticeFixture) -> None:
    from mentalspace_desktop.gui.sync.conflicts_page import reason_words

    client = practice.add_client(clinician="clinician", last="McAllister", first="DeShawn")
    _conflict(practice, client)
    page = ConflictsPage(practice.session_for("clinician"))
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.sig_loaded, timeout=WAIT):
        page.show()
    assert "McAllister" in page.heading.text() and "DeShawn" in page.heading.text()
    # each value is named by who wrote it, the same on every workstation that holds the conflict
    assert (page.this_card.title(), page.other_card.title()) == ("Your value", "Dana Desk's value")
    assert page.other_card.button.accessibleName() == "Keep Dana Desk's value"
    assert "here" not in reason_words("changed here and on another workstation")
    assert reason_words("changed here while it was deleted elsewhere").startswith("Changed on one workstation")
