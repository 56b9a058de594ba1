"""The first-run wizard end to end: a new practice whose administrator can then sign in."""

from __future__ import annotations

from pathlib import Path

import pyotp
import pytest

from mentalspace_desktop.gui.auth.first_run import FirstRunWizard
from mentalspace_desktop.gui.auth.sign_in import SignInDialog
from mentalspace_desktop.gui.qt import QWizard
from mentalspace_desktop.services.accounts import Authenticator
from mentalspace_desktop.store.files import StoreFiles

pytestmark = pytest.mark.gui

PASSWORD = "Tidal-Cedar-Window-88"


def _fill_first_pages(wizard: FirstRunWizard) -> None:
    wizard.practice_page.name_edit.setText("Willow Creek Therapy")
    assert wizard.practice_page.zone_combo.currentText() == "America/New_York"
    wizard.next()
    admin = wizard.admin_page
    admin.full_name.setText("Jordan Lee")
    admin.username.setText("jlee")
    admin.password.setText("short")
    assert not admin.isComplete()
    assert "12 characters" in admin.feedback.text()
    admin.password.setText(PASSWORD)
    admin.confirm.setText(PASSWORD)
    assert admin.isComplete()
    wizard.next()


def test_first_run_creates_practice_and_admin_can_sign_in(qtbot, tmp_path: Path) -> None:
    data_dir = tmp_path / "new-store"
    wizard = FirstRunWizard(data_dir)
    qtbot.addWidget(wizard)
    wizard.show()
    assert not wizard.practice_page.isComplete()
    _fill_first_pages(wizard)

    auth = wizard.auth_page
    assert wizard.currentPage() is auth
    secret = auth.panel.secret_label.text().replace(" ", "")
    assert secret == auth.panel.secret
    assert auth.panel.qr.matrix(), "the QR code is drawn"
    auth.panel.code_edit.setText("000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    wizard.next()
    assert wizard.currentPage() is auth
    assert auth.message.isVisible() and "does not match" in auth.message.text()

    auth.panel.code_edit.setText(pyotp.TOTP(secret).now())
    with qtbot.waitSignal(wizard.currentIdChanged, timeout=20_000):
        wizard.next()
    assert wizard.currentPage() is wizard.codes_page
    assert Authenticator(StoreFiles(data_dir)).store_exists()
    panel = wizard.codes_page.panel
    assert len(panel.codes()) == 10
    assert not wizard.button(QWizard.WizardButton.FinishButton).isEnabled()
    saved = tmp_path / "codes.txt"
    panel.save_to(saved)
    assert all(code in saved.read_text() for code in panel.codes())
    panel.confirm.setChecked(True)
    assert wizard.button(QWizard.WizardButton.FinishButton).isEnabled()
    with qtbot.waitSignal(wizard.accepted):
        wizard.button(QWizard.WizardButton.FinishButton).click()
    session = wizard.enrollment.session
    assert session.actor.username == "jlee"
    session.close()

    dialog = SignInDialog(data_dir)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.username.setText("jlee")
    dialog.password.setText(PASSWORD)
    with qtbot.waitSignal(dialog.stack.currentChanged, timeout=20_000):
        dialog.sign_in_button.click()
    assert dialog.current_step() is dialog.code_step
    dialog.code_edit.setText(panel.codes()[0])
    with qtbot.waitSignal(dialog.sig_signed_in, timeout=20_000) as signed:
        dialog.verify_button.click()
    assert signed.args[0].actor.full_name == "Jordan Lee"
    signed.args[0].close()


def test_wizard_offers_solo_practice_first_and_joining_a_hub(qtbot, tmp_path: Path) -> None:
    wizard = FirstRunWizard(tmp_path / "store")
    qtbot.addWidget(wizard)
    page = wizard.practice_page
    assert page.solo_radio.isChecked() and not page.joins_hub()
    assert page.nextId() == wizard.pageIds()[1]  # the administrator page
    page.hub_radio.setChecked(True)
    assert page.isComplete() and not page.name_edit.isEnabled()
    assert page.nextId() == wizard.hub_page_id
    assert wizard.codes_page.nextId() == -1  # the solo path does not run on into the hub pages
