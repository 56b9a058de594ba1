"""The main window: what each role sees, shortcuts, theme, sign-out, and the whole app flow."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pyotp
import pytest

from mentalspace_desktop.gui import app as app_module
from mentalspace_desktop.gui import theme
from mentalspace_desktop.gui.app import KEYRING_NOTICE, AppController
from mentalspace_desktop.gui.auth.sign_in import SignInDialog
from mentalspace_desktop.gui.clients import ClientSearchDialog
from mentalspace_desktop.gui.main_window import MainWindow, NavId
from mentalspace_desktop.gui.qt import QApplication, QMessageBox, Qt
from mentalspace_desktop.gui.widgets import forms
from tests.factories import ADMIN_PASSWORD, PracticeFixture

pytestmark = pytest.mark.gui
WAIT = 20_000

EXPECTED_NAV = {
    "admin": [NavId.TODAY, NavId.SCHEDULE, NavId.WAITLIST, NavId.GROUPS, NavId.MESSAGES, NavId.CLIENTS,
              NavId.DASHBOARD, NavId.ALERTS, NavId.DATA_QUALITY, NavId.HOURS, NavId.TYPES, NavId.REMINDERS,
              NavId.USERS, NavId.AUDIT, NavId.SUPERVISION, NavId.SETTINGS, NavId.CHARTING_SETTINGS, NavId.MESSAGING],
    "supervisor": [NavId.TODAY, NavId.SCHEDULE, NavId.WAITLIST, NavId.GROUPS, NavId.MESSAGES, NavId.CLIENTS,
                   NavId.MY_NOTES, NavId.DASHBOARD, NavId.ALERTS, NavId.DATA_QUALITY, NavId.HOURS, NavId.AUDIT,
                   NavId.SUPERVISION],
    "clinician": [NavId.TODAY, NavId.SCHEDULE, NavId.WAITLIST, NavId.GROUPS, NavId.MESSAGES, NavId.CLIENTS,
                  NavId.MY_NOTES, NavId.DASHBOARD, NavId.ALERTS, NavId.DATA_QUALITY, NavId.HOURS,
                  NavId.SUPERVISION],  # an associate: their supervision log
    "billing": [NavId.TODAY, NavId.SCHEDULE, NavId.CLIENTS],
    "front_desk": [NavId.TODAY, NavId.SCHEDULE, NavId.WAITLIST, NavId.GROUPS, NavId.MESSAGES, NavId.CLIENTS,
                   NavId.HOURS],
}


@pytest.fixture
def make_window(qtbot, practice: PracticeFixture) -> Iterator:
    made: list[MainWindow] = []

    def make(role: str = "admin") -> MainWindow:
        w = MainWindow(practice.session_for(role))
        qtbot.addWidget(w)
        w.show()
        made.append(w)
        return w

    yield make
    for w in made:
        w.close_for_sign_out()


@pytest.mark.parametrize("role", sorted(EXPECTED_NAV))
def test_navigation_shows_each_role_only_its_items(make_window, role: str) -> None:
    window = make_window(role)
    assert window.nav_ids() == EXPECTED_NAV[role]
    assert window.current_page_id() == NavId.TODAY  # the desk's (or the clinician's) day comes first
    assert window.windowTitle() == "Peachtree Counseling"  # the app's name is added once, by Qt
    assert window.role_label.text() == window.session.actor.role.label
    assert window.practice_label.text() == "Peachtree Counseling"
    assert window.name_label.text() == window.session.actor.full_name


def test_pages_switch_and_are_built_once(make_window) -> None:
    window = make_window("admin")
    users = window.show_page(NavId.USERS)
    assert window.stack.currentWidget() is users
    window.show_page(NavId.CLIENTS)
    assert window.show_page(NavId.USERS) is users
    place = [e.id for e in window.entries].index(NavId.HOURS)  # the calendar, messages, dashboards, alerts first
    assert window.nav_actions[place].shortcut().toString() == ("Ctrl+0" if place == 9 else f"Ctrl+{place + 1}")
    window.nav_actions[place].trigger()
    assert window.current_page_id() == NavId.HOURS


def test_ctrl_k_finds_a_client_and_opens_the_chart(qtbot, make_window, practice: PracticeFixture) -> None:
    client = practice.add_client(last="Nguyen", first="Ana")
    window = make_window("front_desk")
    window.show_page(NavId.CLIENTS)
    assert window.find_action.shortcut().toString() == "Ctrl+K"
    window.find_action.trigger()
    dialogs = [w for w in window.findChildren(ClientSearchDialog) if w.isVisible()]
    assert len(dialogs) == 1
    dialogs[0].sig_client_chosen.emit(client.id)
    clients_page = window.page(NavId.CLIENTS)
    assert window.current_page_id() == NavId.CLIENTS
    assert clients_page.stack.currentIndex() == 1  # the chart, not the empty state
    dialogs[0].close()


def test_ctrl_n_registers_a_new_client(make_window) -> None:
    window = make_window("front_desk")
    assert window.new_client_action.isEnabled()
    assert window.new_client_action.shortcut().toString() == "Ctrl+N"
    window.new_client_action.trigger()
    page = window.page(NavId.CLIENTS)
    assert page.register_dialog is not None and page.register_dialog.isVisible()
    page.register_dialog.close()


def test_theme_choice_is_remembered(make_window) -> None:
    window = make_window("admin")
    window.theme_actions["dark"].trigger()
    assert theme.saved_theme() == "dark"
    assert theme.current_theme(QApplication.instance()) == "dark"
    window.theme_actions["light"].trigger()
    assert theme.saved_theme() == "light"


def test_sign_out_and_close_ask_about_unsaved_changes(qtbot, make_window, monkeypatch) -> None:
    window = make_window("admin")
    asked: list[str] = []
    monkeypatch.setattr(window, "has_unsaved_changes", lambda: True)
    monkeypatch.setattr(forms, "ask", lambda _p, title, _t, _y: asked.append(title) or False)
    with qtbot.assertNotEmitted(window.sig_sign_out_requested):
        window.sign_out_action.trigger()
    assert not window.close()
    assert window.isVisible()
    assert asked == ["Sign out with unsaved changes?", "Quit with unsaved changes?"]
    monkeypatch.setattr(forms, "ask", lambda *_a: True)
    with qtbot.waitSignal(window.sig_sign_out_requested):
        window.sign_out_action.trigger()


def test_help_lists_shortcuts(make_window) -> None:
    window = make_window("front_desk")
    box = window.show_shortcuts()
    assert "Ctrl+K" in box.text() and "Ctrl+L" in box.text() and "Users" not in box.text()
    box.close()


def _sign_in(qtbot, dialog: SignInDialog, secret: str) -> None:
    dialog.username.setText("admin")
    dialog.password.setText(ADMIN_PASSWORD)
    with qtbot.waitSignal(dialog.stack.currentChanged, timeout=WAIT):
        dialog.sign_in_button.click()
    dialog.code_edit.setText(pyotp.TOTP(secret).now())
    with qtbot.waitSignal(dialog.sig_signed_in, timeout=WAIT):
        dialog.verify_button.click()


def test_app_flow_sign_in_sign_out_and_keyring_notice(qtbot, practice: PracticeFixture, monkeypatch) -> None:
    told: list[str] = []
    monkeypatch.setattr(app_module, "keyring_available", lambda: False)
    monkeypatch.setattr(forms, "tell", lambda _p, _t, text: told.append(text))
    controller = AppController(practice.data_dir)
    controller.start()
    dialog = controller.window
    assert isinstance(dialog, SignInDialog) and dialog.isVisible()
    _sign_in(qtbot, dialog, practice.admin_totp_secret)
    window = controller.window
    assert isinstance(window, MainWindow) and window.isVisible()
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=5_000)
    assert told == [], "no blocking box"
    qtbot.waitUntil(lambda: gc.get_freeze_count() > 0, timeout=5_000)  # the session's objects left out of full passes
    assert window.banner.text.text() == KEYRING_NOTICE
    assert window.statusBar().currentMessage() == KEYRING_NOTICE
    window.banner.link.linkActivated.emit("#how-to-fix")  # the "How to fix" link
    helps = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert helps and "How to fix" in helps[0].text() and not helps[0].isModal()
    helps[0].close()
    window.banner.dismiss.click()
    assert not window.banner.isVisible()

    window.sign_out_action.trigger()
    again = controller.window
    assert isinstance(again, SignInDialog) and again.isVisible()
    assert "signed out" in again.credentials.message.text()
    assert controller.session is None
    assert gc.get_freeze_count() == 0, "the signed-out session's objects may be collected again"
    qtbot.waitUntil(lambda: not window.isVisible())

    practice.session_for("admin")  # the fixture's own session stays usable
    controller2 = AppController(practice.data_dir)
    controller2._keyring_checked = False
    controller2.show_main(practice.admin)
    QApplication.processEvents()
    qtbot.waitUntil(lambda: controller2.window.statusBar().currentMessage() == KEYRING_NOTICE)
    assert not controller2.window.banner.isVisible(), "the one-time notice is not repeated"
    controller2.window.close_for_sign_out()
    gc.unfreeze()  # the tests that follow start as a fresh process would
    again.reject()
    assert again.windowFlags() & Qt.WindowType.Dialog
