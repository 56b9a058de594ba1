"""Regression: finishing the first-run wizard, then View → Dark → Light, crashed in app.setStyleSheet.

The cause: once a style sheet is applied, ``app.style()`` is Qt's style-sheet wrapper, whose name is
empty, so every theme change replaced the application's Fusion style under live widgets; a wizard page
with a form kept pointing at the deleted style and the next restyle crashed. A crash ends the test
process, so the quick check runs in a child process and reports its exit code.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyotp
import pytest
import shiboken6

from mentalspace_desktop.gui import app as app_module
from mentalspace_desktop.gui import theme
from mentalspace_desktop.gui.app import AppController
from mentalspace_desktop.gui.auth.first_run import FirstRunWizard
from mentalspace_desktop.gui.main_window import MainWindow
from mentalspace_desktop.gui.qt import QApplication, QCoreApplication, QEvent, QWizard

pytestmark = pytest.mark.gui
PASSWORD = "Tidal-Cedar-Window-88"

_CHILD = """
import sys
from pathlib import Path
from mentalspace_desktop.gui.qt import QApplication
from mentalspace_desktop.gui import theme
from mentalspace_desktop.gui.auth.first_run import FirstRunWizard
app = QApplication(sys.argv)
theme.apply_theme(app, "light")
wizard = FirstRunWizard(Path(sys.argv[1]))
wizard.show()
app.processEvents()
for name in ("dark", "light", "dark"):
    theme.apply_theme(app, name)
    app.processEvents()
print("restyled")
"""


def test_theme_changes_with_a_wizard_open_do_not_crash(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", _CHILD, str(tmp_path / "store")], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr[-2000:]}"
    assert "restyled" in done.stdout


def test_finish_first_run_then_dark_then_light(qtbot, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(app_module, "keyring_available", lambda: True)
    controller = AppController(tmp_path / "store")
    controller.start()
    wizard = controller.window
    assert isinstance(wizard, FirstRunWizard)
    wizard.practice_page.name_edit.setText("Willow Creek Therapy")
    wizard.next()
    admin = wizard.admin_page
    admin.full_name.setText("Jordan Lee")
    admin.username.setText("jlee")
    admin.password.setText(PASSWORD)
    admin.confirm.setText(PASSWORD)
    wizard.next()
    panel = wizard.auth_page.panel
    panel.code_edit.setText(pyotp.TOTP(panel.secret).now())
    with qtbot.waitSignal(wizard.currentIdChanged, timeout=20_000):
        wizard.next()
    wizard.codes_page.panel.confirm.setChecked(True)
    wizard.button(QWizard.WizardButton.FinishButton).click()
    window = controller.window
    assert isinstance(window, MainWindow)
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert not shiboken6.isValid(wizard), "the finished wizard does not linger, hidden, to be restyled"

    window.theme_actions["dark"].trigger()
    QApplication.processEvents()
    window.theme_actions["light"].trigger()
    QApplication.processEvents()
    assert theme.current_theme(QApplication.instance()) == "light"
    window.close_for_sign_out()
    controller._close_session()
