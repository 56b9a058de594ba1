"""Users, audit log and practice settings screens against a real store; models checked by the tester."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from mentalspace_desktop.domain.lockout import AttemptState
from mentalspace_desktop.domain.roles import Role
from mentalspace_desktop.gui.admin.audit_log import AuditLogPage
from mentalspace_desktop.gui.admin.practice_settings import PracticeSettingsPage
from mentalspace_desktop.gui.admin.user_dialogs import ResetPasswordDialog
from mentalspace_desktop.gui.admin.users import UsersPage
from mentalspace_desktop.gui.bridge import EventBridge
from mentalspace_desktop.gui.qt import QDate, QLineEdit
from mentalspace_desktop.gui.widgets import forms
from mentalspace_desktop.services.accounts import Authenticator, PracticeService
from mentalspace_desktop.services.clients import ClientService
from tests.factories import PracticeFixture

pytestmark = pytest.mark.gui
WAIT = 20_000
TEMP_PASSWORD = "Harbor-Lilac-Compass-61"


@pytest.fixture
def bridge(practice: PracticeFixture) -> Iterator[EventBridge]:
    b = EventBridge(practice.admin.events)
    yield b
    b.detach()


@pytest.fixture
def users_page(qtbot, practice: PracticeFixture, bridge: EventBridge) -> UsersPage:
    page = UsersPage(practice.admin, bridge)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.sig_users_loaded, timeout=WAIT):
        page.show()
    return page


def _select(page: UsersPage, username: str) -> None:
    view = next(u for u in page.model._rows if u.username == username)
    page.select_user(view.id)
    assert page.selected_user() is not None and page.selected_user().username == username


def test_users_model_passes_the_model_tester(qtmodeltester, users_page: UsersPage) -> None:
    assert users_page.model.rowCount() == 6
    qtmodeltester.check(users_page.model, force_py=True)


def test_users_screen_creates_a_user(qtbot, users_page: UsersPage, practice: PracticeFixture) -> None:
    dialog = users_page.new_user()
    own_edits = [
        e
        for e in dialog.findChildren(QLineEdit)
        if not (e.parent().inherits("QAbstractSpinBox") or e.parent().inherits("QComboBox"))
    ]
    assert own_edits and all(e.accessibleName() for e in own_edits)
    dialog.full_name.setText("Riley Therapist")
    dialog.username.setText("riley")
    dialog.role.setCurrentIndex(dialog.role.findData(Role.CLINICIAN))
    dialog.license.setCurrentIndex(dialog.license.findData("LMFT"))
    dialog.supervisor.setCurrentIndex(dialog.supervisor.findData(practice.users["supervisor"]))
    dialog.hipaa_done.setChecked(True)
    dialog.hipaa_date.setDate(QDate(2026, 1, 15))
    dialog.password.setText(TEMP_PASSWORD)
    dialog.confirm.setText(TEMP_PASSWORD)
    loaded, accepted = users_page.sig_users_loaded, dialog.accepted
    with qtbot.waitSignal(loaded, timeout=WAIT), qtbot.waitSignal(accepted, timeout=WAIT):
        dialog.save_button.click()
    riley = next(u for u in users_page.model._rows if u.username == "riley")
    assert (riley.role, riley.license_type, riley.supervisor_name) == (
        Role.CLINICIAN,
        "LMFT",
        "Sloane Supervisor",
    )
    assert riley.hipaa_training_on == date(2026, 1, 15) and not riley.mfa_enrolled
    row = users_page.model.row_of(riley.id)
    assert users_page.model.index(row, 7).data() == "Active"
    pending = Authenticator(practice.files).begin("riley", TEMP_PASSWORD)
    assert pending.must_change_password and pending.needs_enrollment
    pending.cancel()


def test_new_user_errors_stay_in_the_dialog(qtbot, users_page: UsersPage) -> None:
    dialog = users_page.new_user()
    dialog.full_name.setText("Dup Licate")
    dialog.username.setText("desk")  # taken
    dialog.password.setText(TEMP_PASSWORD)
    dialog.confirm.setText(TEMP_PASSWORD)
    dialog.save_button.click()
    qtbot.waitUntil(lambda: "taken" in dialog.message.text(), timeout=WAIT)
    assert dialog.isVisible() and dialog.isEnabled()
    dialog.reject()


def test_edit_deactivate_reset_and_unlock(
    qtbot, users_page: UsersPage, practice: PracticeFixture, monkeypatch
) -> None:
    monkeypatch.setattr(forms, "ask", lambda *_a: True)
    _select(users_page, "oclin")
    dialog = users_page.edit_user()
    assert dialog is not None and dialog.full_name.text() == "Owen Otherclin"
    dialog.license.setCurrentIndex(dialog.license.findData("LPC"))
    with qtbot.waitSignal(users_page.sig_users_loaded, timeout=WAIT):
        dialog.save_button.click()
    _select(users_page, "oclin")
    assert users_page.selected_user().license_type == "LPC"

    assert users_page.active_button.text() == "Deactivate"
    with qtbot.waitSignal(users_page.sig_users_loaded, timeout=WAIT):
        users_page.active_button.click()
    assert users_page.selected_user().active is False
    assert users_page.active_button.text() == "Reactivate"
    users_page.active_button.click()  # reactivation needs a new temporary password
    dialog = next(d for d in users_page.findChildren(ResetPasswordDialog) if d.isVisible())
    assert dialog.reactivate
    dialog.password.setText(TEMP_PASSWORD)
    dialog.confirm.setText(TEMP_PASSWORD)
    with qtbot.waitSignal(users_page.sig_users_loaded, timeout=WAIT):
        dialog.save_button.click()
    assert users_page.selected_user().active is True
    pending = Authenticator(practice.files).begin("oclin", TEMP_PASSWORD)
    pending.cancel()

    _select(users_page, "desk")
    state, now = AttemptState(), datetime.now(UTC)
    for _ in range(5):
        state = state.after_failure(now)
    practice.admin.slots.set_attempts("desk", state)  # five wrong passwords
    with qtbot.waitSignal(users_page.sig_users_loaded, timeout=WAIT):
        users_page.reload()
    assert users_page.selected_user().locked and users_page.unlock_button.isEnabled()
    with qtbot.waitSignal(users_page.sig_users_loaded, timeout=WAIT):
        users_page.unlock_button.click()
    assert not users_page.selected_user().locked

    _select(users_page, "admin")
    assert not users_page.mfa_button.isEnabled() and not users_page.active_button.isEnabled()


def test_reset_password_dialog(qtbot, users_page: UsersPage, practice: PracticeFixture) -> None:
    _select(users_page, "bill")
    dialog = users_page.reset_password()
    assert dialog is not None and not dialog.save_button.isEnabled()
    dialog.password.setText(TEMP_PASSWORD)
    dialog.confirm.setText(TEMP_PASSWORD)
    assert dialog.save_button.isEnabled()
    with qtbot.waitSignal(dialog.accepted, timeout=WAIT):
        dialog.save_button.click()
    pending = Authenticator(practice.files).begin("bill", TEMP_PASSWORD)
    assert pending.must_change_password
    pending.cancel()


@pytest.fixture
def audit_page(qtbot, practice: PracticeFixture, bridge: EventBridge) -> AuditLogPage:
    practice.add_client(last="Nguyen", first="Ana")
    page = AuditLogPage(practice.admin, bridge)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.sig_entries_loaded, timeout=WAIT):
        page.show()
    return page


def test_audit_model_passes_the_model_tester(qtmodeltester, audit_page: AuditLogPage) -> None:
    assert audit_page.model.rowCount() > 5
    qtmodeltester.check(audit_page.model, force_py=True)


def test_audit_screen_filters_newest_first(qtbot, audit_page: AuditLogPage) -> None:
    times = [audit_page.model.entry(i).at for i in range(audit_page.model.rowCount())]
    assert times == sorted(times, reverse=True)
    audit_page.action.setCurrentIndex(audit_page.action.findData("user_created"))
    with qtbot.waitSignal(audit_page.sig_entries_loaded, timeout=WAIT) as loaded:
        pass
    assert loaded.args[0] == 5
    assert {audit_page.model.entry(i).action for i in range(5)} == {"user_created"}
    audit_page.text.setText("Clinician")
    with qtbot.waitSignal(audit_page.sig_entries_loaded, timeout=WAIT) as loaded:
        pass
    assert loaded.args[0] == 2  # "clin as Clinician", "oclin as Clinician"
    audit_page.since.setDate(QDate.currentDate().addDays(2))
    audit_page.until.setDate(QDate.currentDate().addDays(3))
    with qtbot.waitSignal(audit_page.sig_entries_loaded, timeout=WAIT) as loaded:
        pass
    assert loaded.args[0] == 0


def test_audit_export_csv_reads_back(qtbot, audit_page: AuditLogPage, tmp_path: Path) -> None:
    audit_page.user.setCurrentIndex(audit_page.user.findData("admin"))
    with qtbot.waitSignal(audit_page.sig_entries_loaded, timeout=WAIT) as loaded:
        pass
    shown = loaded.args[0]
    out = tmp_path / "audit.csv"
    with qtbot.waitSignal(audit_page.sig_exported, timeout=WAIT) as exported:
        audit_page.export_to(out)
    assert exported.args[0] == shown
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == shown and {r["username"] for r in rows} == {"admin"}
    assert "Exported" in audit_page.message.text()


def test_audit_anchor_is_saved_and_verifies(qtbot, audit_page: AuditLogPage, practice: PracticeFixture,
                                            tmp_path: Path) -> None:
    from mentalspace_desktop.services.integrity import check_audit_log

    out = tmp_path / "audit-anchor.json"
    assert audit_page.anchor_button.accessibleName()
    with qtbot.waitSignal(audit_page.sig_anchor_saved, timeout=WAIT):
        audit_page.save_anchor_to(out)
    assert out.is_file() and "Anchor saved" in audit_page.message.text()
    check = check_audit_log(practice.admin, [out])
    assert check.ok and any("audit-anchor.json" in a for a in check.anchors)


def test_supervisor_sees_only_the_team(qtbot, practice: PracticeFixture, bridge: EventBridge) -> None:
    page = AuditLogPage(practice.session_for("supervisor"), bridge)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.sig_entries_loaded, timeout=WAIT):
        page.show()
    team = {practice.users["supervisor"], practice.users["clinician"]}
    assert all(page.model.entry(i).user_id in team for i in range(page.model.rowCount()))
    assert "team" in page.findChild(type(page.count_label), "pageSubtitle").text()


def test_practice_settings_save(qtbot, practice: PracticeFixture, bridge: EventBridge) -> None:
    page = PracticeSettingsPage(practice.admin, bridge)
    qtbot.addWidget(page)
    assert page.name.text() == "Peachtree Counseling"
    page.name.setText("Peachtree Counseling & Wellness")
    page.zone.setCurrentText("America/Chicago")
    page.idle.setCurrentIndex(page.idle.findData(5))
    with qtbot.waitSignal(page.sig_saved, timeout=WAIT):
        page.save_button.click()
    saved = PracticeService(practice.admin).practice()
    assert (saved.name, saved.time_zone, saved.idle_lock_minutes) == (
        "Peachtree Counseling & Wellness",
        "America/Chicago",
        5,
    )
    page.zone.setCurrentText("Mars/Olympus")
    page.save_button.click()
    assert "time zone" in page.message.text()


def test_audit_log_names_the_client_and_summarises_every_action(
        qtbot, practice: PracticeFixture, bridge: EventBridge) -> None:
    mine = practice.add_client(clinician="clinician", last="Okafor", first="Nia")
    theirs = practice.add_client(clinician="other_clinician", last="Lindqvist", first="Bo")
    for client in (mine, theirs):
        ClientService(practice.admin).open_chart(client.id)  # chart views are written without a summary
    ClientService(practice.session_for("clinician")).open_chart(mine.id)  # the supervisor's team
    for role, sees_theirs in (("admin", True), ("supervisor", False)):
        page = AuditLogPage(practice.session_for(role), bridge)
        qtbot.addWidget(page)
        qtbot.waitUntil(lambda p=page: p.model.rowCount() > 0, timeout=WAIT)
        page.action.setCurrentIndex(page.action.findData("open_chart"))
        with qtbot.waitSignal(page.sig_entries_loaded, timeout=WAIT):
            page.reload()
        rows = {page.model.entry(i).client_id: i for i in range(page.model.rowCount())}
        if role == "supervisor":  # the service scopes a supervisor's log to the team
            assert theirs.id not in rows
        row = rows[mine.id]
        record = page.model.index(row, 3).data()
        assert record == f"Okafor, Nia · {mine.chart_number}", role
        assert "01" not in record  # no record ids on the line
        assert page.model.index(row, 4).data() == "Opened the chart"
        assert page.model.index(row, 2).data() == "Open chart"
        assert (theirs.id in rows) == sees_theirs
    for i in range(page.model.rowCount()):
        assert page.model.index(i, 4).data(), "every line has a summary"
