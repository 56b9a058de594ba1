"""The idle lock: after some minutes without keyboard or mouse input, cover every window until the
user types their password again.

Windows are *cloaked* (covered by an opaque panel, their titles masked), not hidden: hiding a dialog
that is running ``exec()`` ends it as if Cancel were pressed, which would throw away a half-filled
client form. Cloaking keeps every window, its modal loop and its unsaved text exactly as they were;
the lock screen, application-modal on top, is the only thing that takes input.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mentalspace_desktop.gui.qt import (
    QApplication,
    QCloseEvent,
    QDialog,
    QEvent,
    QFormLayout,
    QLabel,
    QObject,
    QPushButton,
    Qt,
    QTimer,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.widgets import forms
from mentalspace_desktop.gui.widgets.forms import MessageLabel, button_row, labelled_edit, primary
from mentalspace_desktop.gui.workers import run_in_background

_INPUT_EVENTS = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
        QEvent.Type.TabletPress,
    }
)


class IdleWatcher(QObject):
    """Emits ``sig_idle`` once the whole application has had no input for ``timeout_ms``."""

    sig_idle = Signal()
    """No keyboard or mouse input for the timeout."""

    def __init__(self, timeout_ms: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(timeout_ms)
        self._timer.timeout.connect(self.sig_idle.emit)
        app = QApplication.instance()
        assert app is not None
        app.installEventFilter(self)

    @property
    def timeout_ms(self) -> int:
        return self._timer.interval()

    @timeout_ms.setter
    def timeout_ms(self, value: int) -> None:
        self._timer.setInterval(max(1, int(value)))
        if self._timer.isActive():
            self._timer.start()

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def is_running(self) -> bool:
        return self._timer.isActive()

    def detach(self) -> None:
        self._timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _INPUT_EVENTS and self._timer.isActive():
            self._timer.start()
        return False


class _Shade(QWidget):
    """An opaque panel over a window while the screen is locked; follows the window's size."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.setObjectName("lockShade")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setAutoFillBackground(True)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        title = QLabel("MentalSpace is locked")
        title.setObjectName("lockTitle")
        layout.addWidget(title, 0, Qt.AlignmentFlag.AlignCenter)
        hint = QLabel("Enter your password in the lock window to continue.")
        hint.setProperty("role", "hint")
        layout.addWidget(hint, 0, Qt.AlignmentFlag.AlignCenter)
        layout.addStretch(1)
        self.setGeometry(window.rect())
        window.installEventFilter(self)
        self.raise_()
        self.show()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and isinstance(watched, QWidget):
            self.setGeometry(watched.rect())
            self.raise_()
        elif event.type() == QEvent.Type.ChildAdded:
            self.raise_()
        return False

    def remove(self) -> None:
        parent = self.parentWidget()
        if parent is not None:
            parent.removeEventFilter(self)
        self.hide()
        self.deleteLater()


class LockScreen(QDialog):
    """The only window that answers while locked: password to unlock, or sign out."""

    sig_unlock_requested = Signal(str)
    """The user typed their password and pressed Unlock."""
    sig_sign_out_requested = Signal()
    """The user chose to sign out instead."""

    def __init__(self, *, full_name: str, practice: str) -> None:
        super().__init__(None)
        self.setObjectName("lockScreen")
        self.setWindowTitle("MentalSpace — Locked")
        self.setWindowModality(Qt.WindowModality.ApplicationModal)
        self.setWindowFlags(
            Qt.WindowType.Dialog | Qt.WindowType.CustomizeWindowHint | Qt.WindowType.WindowTitleHint
        )
        self.setMinimumWidth(440)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 28, 32, 24)
        layout.setSpacing(12)
        title = QLabel(f"Locked — {full_name}")
        title.setObjectName("lockTitle")
        layout.addWidget(title)
        sub = QLabel(
            f"{practice}\nThe screen was locked to protect client information. "
            "Enter your password to continue where you left off."
        )
        sub.setObjectName("pageSubtitle")
        sub.setWordWrap(True)
        layout.addWidget(sub)
        form = QFormLayout()
        self.password = labelled_edit("Password", password=True)
        form.addRow("&Password:", self.password)
        layout.addLayout(form)
        self.message = MessageLabel()
        layout.addWidget(self.message)
        self.sign_out_button = QPushButton("Sign out")
        self.sign_out_button.setAccessibleName("Sign out")
        self.sign_out_button.clicked.connect(self.sig_sign_out_requested.emit)
        self.unlock_button = primary(QPushButton("Unlock"))
        self.unlock_button.clicked.connect(self._unlock)
        layout.addLayout(button_row(self.sign_out_button, self.unlock_button))

    def _unlock(self) -> None:
        if not self.password.text():
            self.message.show_error("Enter your password.")
            return
        self.sig_unlock_requested.emit(self.password.text())

    def set_busy(self, busy: bool) -> None:
        self.password.setEnabled(not busy)
        self.unlock_button.setEnabled(not busy)
        if busy:
            self.message.show_hint("Checking…")

    def reject(self) -> None:
        pass  # Escape must not unlock

    def closeEvent(self, event: QCloseEvent) -> None:
        event.ignore()


class ScreenLocker(QObject):
    """Locks and unlocks every window of the application for one signed-in session."""

    sig_locked = Signal()
    """The screen was locked."""
    sig_unlocked = Signal()
    """The right password was given; every window is back as it was."""
    sig_sign_out_requested = Signal()
    """Sign out (chosen at the lock screen, or forced by a locked account)."""

    def __init__(
        self,
        session: Any,
        *,
        practice: str,
        has_unsaved_changes: Callable[[], bool],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.practice = practice
        self._has_unsaved = has_unsaved_changes
        self.screen: LockScreen | None = None
        self._cloaked: list[tuple[QWidget, _Shade, str]] = []

    def is_locked(self) -> bool:
        return self.screen is not None

    def lock(self) -> None:
        if self.screen is not None:
            return
        while (popup := QApplication.activePopupWidget()) is not None:
            popup.close()
        for window in QApplication.topLevelWidgets():
            if window.isVisible() and window.windowType() in (Qt.WindowType.Window, Qt.WindowType.Dialog):
                self._cloaked.append((window, _Shade(window), window.windowTitle()))
                window.setWindowTitle("MentalSpace — Locked")
        self.screen = LockScreen(full_name=self.session.actor.full_name, practice=self.practice)
        self.screen.sig_unlock_requested.connect(self._verify)
        self.screen.sig_sign_out_requested.connect(self._sign_out_chosen)
        self.screen.show()
        self.screen.raise_()
        self.screen.activateWindow()
        self.screen.password.setFocus()
        self.sig_locked.emit()

    def cloaked_windows(self) -> list[QWidget]:
        return [w for w, _s, _t in self._cloaked]

    def _verify(self, password: str) -> None:
        assert self.screen is not None
        self.screen.set_busy(True)
        session = self.session

        def work() -> None:
            from mentalspace_desktop.services.accounts import Authenticator

            Authenticator(session.store.files).verify_password(session, password)

        run_in_background(self, work, on_done=lambda _r: self.unlock(), on_error=self._failed)

    def _failed(self, exc: BaseException) -> None:
        from mentalspace_desktop.errors import AccountLocked

        if self.screen is None:
            return
        self.screen.set_busy(False)
        self.screen.message.show_exception(exc)
        self.screen.password.selectAll()
        if isinstance(exc, AccountLocked):
            forms.tell(self.screen, "Account locked", f"{self.screen.message.text()}\n\nYou will now be signed out.")
            self.sig_sign_out_requested.emit()

    def _sign_out_chosen(self) -> None:
        if self._has_unsaved() and not forms.ask(
            self.screen,
            "Sign out?",
            "Some windows have changes that were not saved. Signing out discards them.",
            "Sign out",
        ):
            return
        self.sig_sign_out_requested.emit()

    def unlock(self) -> None:
        """Uncover every window exactly as it was (called after the password was verified)."""
        for window, shade, title in self._cloaked:
            shade.remove()
            window.setWindowTitle(title)
        self._cloaked.clear()
        if self.screen is not None:
            self.screen.hide()
            self.screen.deleteLater()
            self.screen = None
        self.sig_unlocked.emit()

    def dispose(self) -> None:
        """Forget the lock without uncovering anything (the windows are being closed: sign-out)."""
        self._cloaked.clear()
        if self.screen is not None:
            self.screen.hide()
            self.screen.deleteLater()
            self.screen = None
