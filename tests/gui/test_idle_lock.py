"""The idle lock: fires after the (injected) timeout, covers every window, and gives them back intact."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mentalspace_desktop.gui.main_window import MainWindow
from mentalspace_desktop.gui.qt import QDialog, QLineEdit, Qt, QTimer, QVBoxLayout
from mentalspace_desktop.gui.widgets import forms
from tests.factories import ADMIN_PASSWORD, PracticeFixture

pytestmark = pytest.mark.gui
WAIT = 20_000


@pytest.fixture
def window(qtbot, practice: PracticeFixture) -> Iterator[MainWindow]:
    w = MainWindow(practice.admin)
    qtbot.addWidget(w)
    w.show()
    yield w
    w.close_for_sign_out()


def _half_filled_dialog(window: MainWindow) -> tuple[QDialog, QLineEdit]:
    dialog = QDialog(window)
    dialog.setWindowTitle("Edit client — Jane Doe")
    edit = QLineEdit()
    edit.setAccessibleName("Notes")
    QVBoxLayout(dialog).addWidget(edit)
    dialog.open()
    edit.setText("Prefers afternoon appointments")
    return dialog, edit


def _unlock(qtbot, window: MainWindow, password: str) -> None:
    screen = window.locker.screen
    assert screen is not None
    screen.password.setText(password)
    screen.unlock_button.click()


def test_idle_timeout_locks_and_unlock_restores_unsaved_text(qtbot, window: MainWindow) -> None:
    assert window.idle_timeout_ms == 15 * 60_000  # the practice's setting
    dialog, edit = _half_filled_dialog(window)
    window.idle_timeout_ms = 150
    with qtbot.waitSignal(window.locker.sig_locked, timeout=5_000):
        pass
    screen = window.locker.screen
    assert screen is not None and screen.isVisible()
    assert screen.windowModality() == Qt.WindowModality.ApplicationModal
    assert set(window.locker.cloaked_windows()) == {window, dialog}
    assert dialog.windowTitle() == "MentalSpace — Locked"  # no client name on the taskbar
    shades = [c for c in dialog.children() if getattr(c, "objectName", lambda: "")() == "lockShade"]
    assert shades and shades[0].isVisible() and shades[0].geometry() == dialog.rect()

    _unlock(qtbot, window, "not-my-password-123")
    qtbot.waitUntil(lambda: "incorrect" in screen.message.text(), timeout=WAIT)
    assert window.locker.is_locked()

    with qtbot.waitSignal(window.locker.sig_unlocked, timeout=WAIT):
        _unlock(qtbot, window, ADMIN_PASSWORD)
    assert not window.locker.is_locked()
    assert dialog.isVisible() and edit.text() == "Prefers afternoon appointments"
    assert dialog.windowTitle() == "Edit client — Jane Doe"
    assert not [
        c
        for c in dialog.children()
        if getattr(c, "objectName", lambda: "")() == "lockShade" and c.isVisible()
    ]
    assert window.watcher.is_running()


def test_input_keeps_the_screen_unlocked(qtbot, window: MainWindow) -> None:
    window.idle_timeout_ms = 1500  # four presses 500 ms apart outlast it only if each one restarts it
    for _ in range(4):
        qtbot.wait(500)
        qtbot.keyClick(window.nav, Qt.Key.Key_Down)
    assert not window.locker.is_locked()


def test_ctrl_l_and_lock_button_lock(qtbot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.locker.sig_locked):
        window.lock_action.trigger()
    assert window.lock_action.shortcut().toString() == "Ctrl+L"
    window.locker.unlock()
    with qtbot.waitSignal(window.locker.sig_locked):
        window.lock_button.click()


def test_dialog_running_exec_survives_lock(qtbot, window: MainWindow) -> None:
    """Hiding a dialog would end its exec() as Cancel; the lock must not do that."""
    dialog = QDialog(window)
    results: list[int] = []

    def lock_then_unlock() -> None:
        window.lock()
        window.locker.unlock()
        QTimer.singleShot(0, dialog.accept)

    QTimer.singleShot(0, lock_then_unlock)
    results.append(dialog.exec())
    assert results == [QDialog.DialogCode.Accepted]


def test_locked_account_at_lock_screen_signs_out(qtbot, window: MainWindow, monkeypatch) -> None:
    told: list[str] = []
    monkeypatch.setattr(forms, "tell", lambda _p, _t, text: told.append(text))
    window.lock()
    screen = window.locker.screen
    assert screen is not None
    with qtbot.waitSignal(window.sig_sign_out_requested, timeout=60_000):
        for _ in range(5):
            if told:
                break
            with qtbot.waitSignal(screen.sig_unlock_requested):
                _unlock(qtbot, window, "not-my-password-123")
            qtbot.waitUntil(lambda: screen.unlock_button.isEnabled() or bool(told), timeout=WAIT)
    assert told and "locked until" in told[0]


def test_sign_out_from_lock_screen_asks_about_unsaved_changes(qtbot, window: MainWindow, monkeypatch) -> None:
    asked: list[str] = []
    monkeypatch.setattr(window, "has_unsaved_changes", lambda: True)
    window.locker._has_unsaved = window.has_unsaved_changes
    monkeypatch.setattr(forms, "ask", lambda _p, title, _t, _y: asked.append(title) or False)
    window.lock()
    assert window.locker.screen is not None
    with qtbot.assertNotEmitted(window.sig_sign_out_requested):
        window.locker.screen.sign_out_button.click()
    assert asked == ["Sign out?"]
    monkeypatch.setattr(forms, "ask", lambda *_a: True)
    with qtbot.waitSignal(window.sig_sign_out_requested):
        window.locker.screen.sign_out_button.click()
