"""Starting the desktop application: first run or sign-in, then the main window, until quit.

Start-up is kept lean: only Qt, the theme and the sign-in dialog are imported before the first window
appears; the store, SQLAlchemy and Argon2 are imported when the password is checked (and preloaded in
the background once the window is up). With ``MENTALSPACE_EXIT_AFTER_FIRST_WINDOW=1`` the app prints
``first-window <seconds>`` once the first window has painted and quits — the cold-start benchmark
uses it.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from pathlib import Path
from typing import Any

from mentalspace_desktop.gui import theme
from mentalspace_desktop.gui.qt import QApplication, QEvent, QObject, QTimer, QWidget

KEYRING_NOTICE = "No system keyring: hub sign-in will ask for your password each time."
KEYRING_HELP = (
    "<p>MentalSpace keeps the practice hub's sign-in in the computer's password keyring so that "
    "syncing does not ask for your password after a restart. This computer has none, so the app "
    "works normally but asks again.</p>"
    "<p><b>How to fix:</b></p><ul>"
    "<li><b>Linux desktop:</b> install and start GNOME Keyring (<tt>gnome-keyring</tt>) or KDE Wallet "
    "(<tt>kwalletmanager</tt>), then sign out of the computer and back in.</li>"
    "<li><b>A shared or server-style machine without a desktop:</b> nothing to fix; enter the password "
    "when the status bar says \u201cHub sign-in needed\u201d.</li>"
    "<li><b>macOS and Windows</b> always have one; if this appears there, ask your IT support.</li></ul>"
)
_KEYRING_SETTING = "notices/no_keyring_shown"


def keyring_available() -> bool:
    """Whether the OS offers a keyring backend that can actually store secrets."""
    try:
        import keyring
        from keyring.backends import chainer, fail
    except Exception:  # a broken keyring install is the same as none
        return False
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring):
        return False
    return not (isinstance(backend, chainer.ChainerBackend) and not backend.backends)


class _FirstPaint(QObject):
    """Reports the first paint of a window: the moment a person can start using the app."""

    def __init__(self, window: QWidget, on_painted: Any) -> None:
        super().__init__(window)
        self._on_painted = on_painted
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self._on_painted)
        return False


class AppController(QObject):
    """Moves between the first-run wizard, the sign-in dialog and the main window."""

    def __init__(self, data_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.data_dir = Path(data_dir)
        self.window: Any = None  # the window currently shown: wizard, sign-in dialog or main window
        self.session: Any = None
        self._keyring_checked = False
        self._first_window_hook: Any = None
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self._close_session)

    def start(self) -> None:
        from mentalspace_desktop.store.files import StoreFiles

        # sync.first_device.MARKER_NAME, without importing the store: a workstation whose first sync
        # was paused or interrupted continues its setup instead of asking for a sign-in it cannot pass
        if (self.data_dir / "first-sync.pending").exists():
            self.show_first_run()
        elif StoreFiles(self.data_dir).exists():  # Authenticator.store_exists(), without importing the store
            self.show_sign_in()
        else:
            self.show_first_run()

    def _present(self, window: QWidget) -> None:
        """Show ``window`` in place of the current one, which is deleted (nothing the user left lingers:
        a hidden wizard would otherwise live on and be restyled at every theme change)."""
        previous = self.window
        self.window = window
        if previous is not None and previous is not window:
            previous.hide()
            previous.deleteLater()
        if self._first_window_hook is not None:
            _FirstPaint(window, self._first_window_hook)
            self._first_window_hook = None
        window.show()
        window.raise_()
        window.activateWindow()

    def show_first_run(self) -> None:
        from mentalspace_desktop.gui.auth.first_run import FirstRunWizard

        wizard = FirstRunWizard(self.data_dir)
        wizard.accepted.connect(lambda: self._first_run_done(wizard))
        wizard.rejected.connect(QApplication.quit)
        self._present(wizard)

    def _first_run_done(self, wizard: Any) -> None:
        if wizard.enrollment is not None:  # a new solo practice: its administrator is signed in
            self.show_main(wizard.enrollment.session)
        else:  # a workstation joined the practice's hub: its user signs in as on any workstation
            self.show_sign_in(notice="This workstation is ready. Sign in with your user name and password.")

    def show_sign_in(self, notice: str = "") -> None:
        from mentalspace_desktop.gui.auth.sign_in import SignInDialog

        dialog = SignInDialog(self.data_dir, notice=notice)
        dialog.sig_signed_in.connect(self.show_main)
        dialog.rejected.connect(QApplication.quit)
        self._present(dialog)
        QTimer.singleShot(300, _preload_services)

    def show_main(self, session: Any) -> None:
        from mentalspace_desktop.gui.main_window import MainWindow

        self.session = session
        window = MainWindow(session)
        self._start_solo_jobs(session, window)
        window.sig_sign_out_requested.connect(self.sign_out)
        window.sig_closed_by_user.connect(QApplication.quit)
        window.sig_device_revoked.connect(lambda text: self.sign_out(notice=text))
        self._present(window)
        QTimer.singleShot(0, lambda: self._check_keyring(window))
        QTimer.singleShot(FREEZE_AFTER_MS, _freeze_what_lives)

    def _start_solo_jobs(self, session: Any, window: Any) -> None:
        """Solo mode only: the jobs a hub would run, on a timer while the app is open. A workstation
        joined to a hub leaves them to the hub, even while its sync is off."""
        from mentalspace_desktop.gui.job_timer import SoloJobTimer
        from mentalspace_desktop.services.solo_jobs import solo_jobs
        from mentalspace_desktop.services.sync_status import is_connected

        if is_connected(session.store):
            return
        timer = SoloJobTimer(session, solo_jobs(session.store), window)
        window.sig_sign_out_requested.connect(timer.stop)
        window.sig_closed_by_user.connect(timer.stop)
        timer.start()

    def _check_keyring(self, window: Any) -> None:
        if self._keyring_checked:
            return
        self._keyring_checked = True
        if keyring_available():
            return
        window.show_notice(KEYRING_NOTICE)
        settings = theme.app_settings()
        if not settings.value(_KEYRING_SETTING, False, type=bool):  # once per computer, never a blocking box
            settings.setValue(_KEYRING_SETTING, True)
            window.show_banner(KEYRING_NOTICE, help_title="No system keyring", help_html=KEYRING_HELP)

    def sign_out(self, notice: str = "You have signed out.") -> None:
        """Close every window of the session (dialogs too), close the store, and ask who signs in next."""
        window = self.window
        if window is not None:
            window.close_for_sign_out()
        for top in QApplication.topLevelWidgets():
            if top.isVisible():
                top.close()
        if window is not None:
            window.deleteLater()
        self.window = None
        self._close_session()
        gc.unfreeze()  # the session's objects go with it: the collector may free them again
        self.show_sign_in(notice=notice)

    def _close_session(self) -> None:
        if self.session is not None:
            from mentalspace_desktop.gui.workers import wait_for_background_work

            wait_for_background_work(10_000)
            self.session.close()
            self.session = None


FREEZE_AFTER_MS = 2_000
"""The main window has painted and loaded its first page by then: the one full collection below does
not hold up the first paint."""


def _freeze_what_lives() -> None:
    """Once the main window is up, everything alive lives as long as the session (modules, services,
    widgets): one full collection, then ``gc.freeze()`` leaves it out of the collector's full passes,
    which otherwise walk it all and hold up a calendar reload now and then (115 ms measured on a week
    of 1,200 visits; 10 ms frozen — ``benchmarks/bench_week_view.py``). As the hub does at start."""
    gc.collect()
    gc.freeze()


def _preload_services() -> None:
    """Import the store and accounts modules off the UI thread so the first password check is quick."""
    from mentalspace_desktop.gui.workers import run_in_background

    app = QApplication.instance()
    if app is not None:
        run_in_background(
            app,
            lambda: __import__("mentalspace_desktop.services.accounts"),
            on_done=lambda _r: None,
            on_error=lambda _e: None,
        )


def run(data_dir: Path) -> int:
    """Run the application on the store in ``data_dir``; returns the process exit code."""
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setApplicationName("MentalSpace")
    app.setOrganizationName("MentalSpace")
    app.setApplicationDisplayName("MentalSpace")
    app.setQuitOnLastWindowClosed(False)  # sign-out closes every window and must not end the app
    theme.apply_theme(app, theme.saved_theme())
    from mentalspace_desktop.gui.localtime import restore_practice_zone

    restore_practice_zone()  # the sign-in window's times (a lockout's end) in the practice's zone
    controller = AppController(Path(data_dir), app)
    if os.environ.get("MENTALSPACE_EXIT_AFTER_FIRST_WINDOW") == "1":
        controller._first_window_hook = lambda: _report_first_window(app)
    controller.start()
    code = app.exec()
    controller._close_session()
    return code


def _report_first_window(app: QApplication) -> None:
    started = float(os.environ.get("MENTALSPACE_T0", "0") or 0)
    elapsed = time.time() - started if started else time.process_time()
    print(f"first-window {elapsed:.4f}", flush=True)
    app.exit(0)
