"""The sign-in dialog against a real encrypted store: codes, wrong passwords, lockout, enrollment."""

from __future__ import annotations

import pyotp
import pytest
from sqlalchemy import update

from mentalspace_desktop.gui.auth.sign_in import SignInDialog
from mentalspace_desktop.gui.qt import QLineEdit, Qt
from mentalspace_desktop.services.accounts import Authenticator
from mentalspace_desktop.store.models import Practice
from tests.factories import ADMIN_PASSWORD, PASSWORD, PracticeFixture

pytestmark = pytest.mark.gui

NEW_PASSWORD = "Granite-Meadow-Kettle-93"
WAIT = 20_000


@pytest.fixture
def dialog(qtbot, practice: PracticeFixture) -> SignInDialog:
    d = SignInDialog(practice.data_dir)
    qtbot.addWidget(d)
    d.show()
    return d


def _password_step(qtbot, dialog: SignInDialog, username: str, password: str, *, enter: bool = False) -> None:
    dialog.username.setText(username)
    dialog.password.setText(password)
    with qtbot.waitSignal(dialog.stack.currentChanged, timeout=WAIT):
        if enter:
            qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
        else:
            dialog.sign_in_button.click()


def test_sign_in_with_authenticator_code(qtbot, dialog: SignInDialog, practice: PracticeFixture) -> None:
    _password_step(qtbot, dialog, "admin", ADMIN_PASSWORD, enter=True)
    assert dialog.current_step() is dialog.code_step
    assert not dialog.demo_hint.isVisible()
    dialog.code_edit.setText(pyotp.TOTP(practice.admin_totp_secret).now())
    with qtbot.waitSignal(dialog.sig_signed_in, timeout=WAIT) as signed:
        qtbot.keyClick(dialog.code_edit, Qt.Key.Key_Return)
    session = signed.args[0]
    assert dialog.session is session and session.actor.username == "admin"
    session.close()


def test_wrong_password_is_explained_inline(qtbot, dialog: SignInDialog) -> None:
    """The password step warns about the lock without telling whether the user name exists."""
    dialog.username.setText("admin")
    dialog.password.setText("not-the-password-at-all")
    with qtbot.waitSignal(dialog.sig_step_failed, timeout=WAIT) as failed:
        dialog.sign_in_button.click()
    assert "incorrect" in failed.args[0] and "5 failed attempts" in failed.args[0]
    assert dialog.credentials.message.isVisible()
    assert dialog.current_step() is dialog.credentials
    assert dialog.password.selectedText() == "not-the-password-at-all"


def test_five_failures_lock_the_account(qtbot, dialog: SignInDialog) -> None:
    dialog.username.setText("admin")
    message = ""
    for _ in range(5):
        dialog.password.setText("not-the-password-at-all")
        with qtbot.waitSignal(dialog.sig_step_failed, timeout=WAIT) as failed:
            dialog.sign_in_button.click()
        message = failed.args[0]
    assert "locked until" in message
    dialog.password.setText(ADMIN_PASSWORD)  # even the right password is refused while locked
    with qtbot.waitSignal(dialog.sig_step_failed, timeout=WAIT) as failed:
        dialog.sign_in_button.click()
    assert "locked until" in failed.args[0]


def test_wrong_code_then_backup_code(qtbot, dialog: SignInDialog, practice: PracticeFixture) -> None:
    _password_step(qtbot, dialog, "admin", ADMIN_PASSWORD)
    right = pyotp.TOTP(practice.admin_totp_secret).now()
    dialog.code_edit.setText("000000" if right != "000000" else "111111")
    with qtbot.waitSignal(dialog.sig_step_failed, timeout=WAIT) as failed:
        dialog.verify_button.click()
    assert "not correct" in failed.args[0] and "4 attempt(s) left" in failed.args[0]
    assert dialog.current_step() is dialog.code_step
    dialog.code_edit.setText(practice.backup_codes[3].upper())
    with qtbot.waitSignal(dialog.sig_signed_in, timeout=WAIT) as signed:
        dialog.verify_button.click()
    signed.args[0].close()


def test_first_sign_in_enrolls_and_forces_password_change(
    qtbot, dialog: SignInDialog, practice: PracticeFixture
) -> None:
    _password_step(qtbot, dialog, "desk", PASSWORD)
    assert dialog.current_step() is dialog.enroll_step
    secret = dialog.enrollment.secret
    assert dialog.enrollment.secret_label.text().replace(" ", "") == secret
    dialog.enrollment.code_edit.setText(pyotp.TOTP(secret).now())
    with qtbot.waitSignal(dialog.stack.currentChanged, timeout=WAIT):
        dialog.enroll_button.click()
    assert dialog.current_step() is dialog.codes_step
    assert len(dialog.backup_codes.codes()) == 10
    dialog.reject()  # Escape must not skip the one-time codes
    assert dialog.isVisible() and dialog.current_step() is dialog.codes_step
    assert not dialog.codes_button.isEnabled()
    dialog.backup_codes.confirm.setChecked(True)
    dialog.codes_button.click()
    assert dialog.current_step() is dialog.password_step
    form = dialog.new_password
    assert form is not None
    form.new.setText(NEW_PASSWORD)
    assert not dialog.password_button.isEnabled()
    form.confirm.setText(NEW_PASSWORD)
    assert dialog.password_button.isEnabled()
    with qtbot.waitSignal(dialog.sig_signed_in, timeout=WAIT) as signed:
        dialog.password_button.click()
    signed.args[0].close()
    pending = Authenticator(practice.files).begin("desk", NEW_PASSWORD)
    assert not pending.must_change_password and not pending.needs_enrollment
    pending.cancel()


def test_demo_practice_shows_current_code(qtbot, dialog: SignInDialog, practice: PracticeFixture) -> None:
    with practice.admin.store.write() as s:
        s.execute(update(Practice).values(is_demo=True))
    _password_step(qtbot, dialog, "admin", ADMIN_PASSWORD)
    assert dialog.demo_hint.isVisible()
    assert dialog.demo_hint.text().startswith("Demo practice — current code: ")
    assert dialog.demo_hint.text()[-6:].isdigit()


def test_every_input_has_an_accessible_name(dialog: SignInDialog) -> None:
    edits = dialog.findChildren(QLineEdit)
    assert edits
    assert all(e.accessibleName() for e in edits)


def test_back_from_code_step_returns_to_password(qtbot, dialog: SignInDialog) -> None:
    _password_step(qtbot, dialog, "admin", ADMIN_PASSWORD)
    dialog._back_to_credentials()
    assert dialog.current_step() is dialog.credentials
    assert dialog._pending is None


def test_a_long_password_check_says_why_it_may_take_a_while(
        qtbot, dialog: SignInDialog, monkeypatch: pytest.MonkeyPatch) -> None:
    """Opening the store after an update migrates it first (a minute on a large practice): the dialog
    says so rather than 'Checking your password…' alone. Only the wait is added here."""
    import time

    slow_begin = Authenticator.begin

    def begin(self: Authenticator, username: str, password: str) -> object:
        time.sleep(1.5)
        return slow_begin(self, username, password)

    monkeypatch.setattr(Authenticator, "begin", begin)
    monkeypatch.setattr(SignInDialog, "STILL_WORKING_MS", 100)
    dialog.username.setText("admin")
    dialog.password.setText(ADMIN_PASSWORD)
    dialog.sign_in_button.click()
    assert "Checking your password" in dialog.credentials.message.text()
    qtbot.waitUntil(lambda: "Still working" in dialog.credentials.message.text(), timeout=WAIT)
    assert not dialog.credentials.isEnabled()
    qtbot.waitUntil(lambda: dialog.current_step() is dialog.code_step, timeout=WAIT)


def test_a_quick_password_check_never_says_it_is_still_working(qtbot, dialog: SignInDialog) -> None:
    _password_step(qtbot, dialog, "admin", ADMIN_PASSWORD)
    assert not dialog._still_working.isActive()  # stopped with the check: it cannot speak later
