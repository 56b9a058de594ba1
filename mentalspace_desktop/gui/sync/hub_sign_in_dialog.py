"""Signing this workstation in to the practice hub again, when sync stopped at "Hub sign-in needed".

The hub sign-in is lost when the computer has no keyring (the token lasted only until the app closed)
or when the hub ends it (expired, or a token presented twice). The records and the waiting changes
are all still here; a password and a one-time code are all it takes to sync again, without signing
out. The signed-in person signs in as themselves (the user name is shown, not typed): it is their
session that syncs. The hub call runs in a worker; the dialog stays responsive and says it is busy.
"""

from __future__ import annotations

from mentalspace_desktop.gui.qt import (
    QCloseEvent,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QShowEvent,
    Qt,
    QTimer,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.sync.controller import SyncController
from mentalspace_desktop.gui.widgets import forms
from mentalspace_desktop.gui.widgets.forms import MessageLabel, labelled_edit, page_header, primary
from mentalspace_desktop.gui.workers import Task, run_in_background
from mentalspace_desktop.sync.enroll import Connection
from mentalspace_desktop.sync.errors import DeviceRevoked, HubRejected, UpdateRequired


def _wrong_credentials(exc: BaseException) -> bool:
    """The hub refused the password or code (or the account is locked): the code was spent or wrong."""
    return isinstance(exc, HubRejected) and exc.status == 401 and not isinstance(exc, UpdateRequired)


class HubSignInDialog(QDialog):
    """Password and one-time code for the practice hub; on success sync resumes at once."""

    sig_signed_in = Signal(object)
    """The hub accepted the sign-in and sync resumed: the :class:`Connection`."""
    sig_failed = Signal(str)
    """The hub (or the network) refused the sign-in: the message shown in the dialog."""

    def __init__(self, controller: SyncController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.task: Task | None = None
        self._busy = False
        self._opened_at: tuple[int, int] | None = None  # (height, Qt's estimate of it) when first shown
        actor = controller.session.actor
        self.setWindowTitle("Sign in to the hub")
        self.setMinimumWidth(500)
        layout = self.body = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        layout.addWidget(page_header(
            "Sign in to the hub",
            "This workstation's sign-in at your practice's hub has ended, so sync has stopped. Your work "
            "here is kept: sign in again and it syncs at once."))
        form = QFormLayout()
        form.setHorizontalSpacing(14)
        form.setVerticalSpacing(10)
        self.hub_label = QLabel(controller.hub_url)
        self.hub_label.setAccessibleName("Practice hub")
        self.hub_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.username = labelled_edit("User name")
        self.username.setText(actor.username)
        self.username.setReadOnly(True)
        self.username.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a value, like the hub's address: Tab skips it
        self.username.setStyleSheet("QLineEdit { background: transparent; border: none; padding: 5px 0px; }")
        self.username.setToolTip(f"You sign in to the hub as yourself ({actor.full_name}). Someone else "
                                 "signs in to MentalSpace on this workstation under their own name.")
        self.password = labelled_edit("Password", password=True)
        self.code = labelled_edit("One-time code", placeholder="6 digits, or a backup code")
        self.code.setMaxLength(20)
        self.code.setInputMethodHints(Qt.InputMethodHint.ImhNoPredictiveText)
        form.addRow("Practice hub:", self.hub_label)
        form.addRow("User name:", self.username)
        form.addRow("&Password:", self.password)
        form.addRow("One-time &code:", self.code)
        layout.addLayout(form)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setAccessibleName("Signing in to the hub")
        self.progress.setMaximumHeight(8)
        self.progress.setTextVisible(False)
        policy = self.progress.sizePolicy()
        policy.setRetainSizeWhenHidden(True)  # the busy state does not make the buttons move
        self.progress.setSizePolicy(policy)
        self.progress.hide()
        self.message = MessageLabel()
        layout.addWidget(self.message)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.reject)
        self.sign_in_button = primary(QPushButton("Sign in"))
        self.sign_in_button.setAccessibleName("Sign in to the hub")
        self.sign_in_button.clicked.connect(self.submit)
        buttons = QHBoxLayout()  # the busy bar sits left of the buttons, in the room they leave
        buttons.setSpacing(8)
        buttons.addWidget(self.progress, 1)
        buttons.addSpacing(24)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.sign_in_button)
        layout.addLayout(buttons)
        self.password.setFocus()

    # -- the sign-in ---------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self._busy

    def submit(self) -> Task | None:
        """Enter or "Sign in": check the fields are filled, then ask the hub in a worker."""
        if self._busy:
            return None
        password, code = self.password.text(), self.code.text().replace(" ", "").strip()
        if not password or not code:
            self.message.show_error("Enter your password and the code from your authenticator app.")
            self._fit()
            (self.password if not password else self.code).setFocus()
            return None
        self._set_busy(True)
        self.message.show_hint("Signing in to the hub…")
        self._fit()
        controller = self.controller
        self.task = run_in_background(self, lambda: controller.sign_in_to_hub(password=password, code=code),
                                      on_done=self._signed_in, on_error=self._failed)
        return self.task

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.progress.setVisible(busy)
        for widget in (self.password, self.code, self.sign_in_button, self.cancel_button):
            widget.setEnabled(not busy)

    def _signed_in(self, connection: Connection) -> None:
        self._set_busy(False)
        self.password.clear()
        self.code.clear()
        self.controller.resume()
        self.accept()
        self.sig_signed_in.emit(connection)
        if connection.credential_warning:  # no keyring: the person will be asked again after a restart
            forms.tell(self.parentWidget(), "Signed in to the hub", connection.credential_warning)

    def _failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        if isinstance(exc, DeviceRevoked):  # its keys are gone: the main window signs its user out
            self.accept()
            self.controller.device_revoked(exc)
            return
        self.message.show_exception(exc)
        self._fit()
        if _wrong_credentials(exc):  # a code is good once and only for a moment: the next try needs a new one
            self.code.clear()
            self.code.setFocus()
        self.sig_failed.emit(self.message.text())

    def _fit(self) -> None:
        """Grow (never shrink) so a message of two or three lines never squeezes the form.

        Deferred once: the message's style (its padding) is applied by the event loop. Qt's estimate
        of a wrapping window's height is off by a constant, so the growth is measured from the height
        the dialog opened with rather than taken as it is."""
        QTimer.singleShot(0, self, self._grow)

    def _layout_height(self) -> int:
        self.body.activate()
        return self.body.totalHeightForWidth(self.width())

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._opened_at is None:
            self._opened_at = (self.height(), self._layout_height())

    def _grow(self) -> None:
        if self._opened_at is None:
            return
        height, estimate = self._opened_at
        needed = height + self._layout_height() - estimate
        if needed > self.height():
            self.resize(self.width(), needed)

    # -- closing -------------------------------------------------------------------------------

    def reject(self) -> None:
        """Esc and Cancel close the dialog, but not while the hub is answering: its answer decides
        whether sync resumes (the wait is bounded by the client's timeouts)."""
        if not self._busy:
            super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._busy:
            event.ignore()
        else:
            super().closeEvent(event)


def open_hub_sign_in(controller: SyncController, parent: QWidget | None) -> HubSignInDialog:
    """Show the dialog (window-modal) over ``parent``, or bring forward the one already open there."""
    if parent is not None:
        for existing in parent.findChildren(HubSignInDialog):
            if existing.isVisible() and existing.controller is controller:
                existing.raise_()
                existing.activateWindow()
                return existing
    dialog = HubSignInDialog(controller, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


__all__ = ["HubSignInDialog", "open_hub_sign_in"]
