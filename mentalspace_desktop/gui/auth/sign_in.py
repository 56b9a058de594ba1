"""The sign-in dialog: password, then a one-time code — or, the first time, enrolling an app.

Each step is a page of one dialog so the person never loses their place. Argon2 makes checking a
password take a noticeable fraction of a second, so every check runs in the background and the
dialog says it is checking. Errors (wrong password, locked, deactivated) appear under the form.
This module imports no services at start-up: the sign-in window must appear fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mentalspace_desktop.gui.auth.change_password import NewPasswordForm
from mentalspace_desktop.gui.auth.enrollment import EnrollmentPanel
from mentalspace_desktop.gui.qt import (
    QDialog,
    QFormLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTimer,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.widgets.backup_codes import BackupCodesPanel
from mentalspace_desktop.gui.widgets.forms import (
    MessageLabel,
    button_row,
    labelled_edit,
    page_header,
    primary,
)
from mentalspace_desktop.gui.workers import run_in_background


def _authenticator(data_dir: Path) -> Any:
    from mentalspace_desktop.services.accounts import Authenticator
    from mentalspace_desktop.store.files import StoreFiles

    return Authenticator(StoreFiles(data_dir))


class _Step(QWidget):
    """One page: a header, the step's fields, an inline message and its buttons."""

    def __init__(self, title: str, subtitle: str) -> None:
        super().__init__()
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.layout_.setSpacing(12)
        self.header = page_header(title, subtitle)
        self.layout_.addWidget(self.header)
        self.message = MessageLabel()
        self.primary_button: QPushButton | None = None

    def finish(self, *buttons: QPushButton) -> None:
        self.layout_.addWidget(self.message)
        self.layout_.addStretch(1)
        self.layout_.addLayout(button_row(*buttons))
        self.primary_button = buttons[-1]
        primary(self.primary_button)


class SignInDialog(QDialog):
    """Ends accepted with ``session`` set to the signed-in :class:`UserSession`."""

    sig_signed_in = Signal(object)
    """Sign-in finished: the user session."""
    sig_step_failed = Signal(str)
    """A check failed; the message shown under the form."""

    STILL_WORKING_MS = 4000
    """After this long on the password check, the dialog says why it may take longer (the store opens
    there: the first sign-in after an update brings its records up to date first)."""
    STILL_WORKING = ("Still working… The first sign-in after an update also brings this workstation's records "
                     "up to date, which can take a minute or more for a large practice. Please wait.")

    def __init__(self, data_dir: Path, parent: QWidget | None = None, *, notice: str = "") -> None:
        super().__init__(parent)
        self.data_dir = Path(data_dir)
        self.session: Any = None
        self._pending: Any = None
        self._password = ""
        self._must_change = False
        self._still_working = QTimer(self)
        self._still_working.setSingleShot(True)
        self._still_working.timeout.connect(lambda: self.credentials.message.show_hint(self.STILL_WORKING))
        self.setWindowTitle("Sign in — MentalSpace")
        self.setMinimumWidth(460)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(32, 26, 32, 24)
        outer.setSpacing(14)
        brand = QLabel("MentalSpace")
        brand.setObjectName("brand")
        outer.addWidget(brand)
        self.stack = QStackedWidget()
        outer.addWidget(self.stack)
        self._build_credentials(notice)
        self._build_code()
        self._build_enroll()
        self._build_codes()
        self._build_password()
        self._show(self.credentials)

    # -- pages ---------------------------------------------------------------------------------

    def _build_credentials(self, notice: str) -> None:
        step = self.credentials = _Step(
            "Sign in", "Your records are encrypted on this computer. Sign in to open them."
        )
        form = QFormLayout()
        form.setSpacing(12)
        self.username = labelled_edit("User name")
        self.password = labelled_edit("Password", password=True)
        form.addRow("&User name:", self.username)
        form.addRow("&Password:", self.password)
        step.layout_.addLayout(form)
        if notice:
            step.message.show_hint(notice)
        quit_button = QPushButton("Quit")
        quit_button.clicked.connect(self.reject)
        self.sign_in_button = QPushButton("Sign in")
        self.sign_in_button.clicked.connect(self._submit_password)
        step.finish(quit_button, self.sign_in_button)
        self.stack.addWidget(step)

    def _build_code(self) -> None:
        step = self.code_step = _Step(
            "Two-step verification",
            "Enter the 6-digit code from your authenticator app, or one of your backup codes.",
        )
        self.demo_hint = QLabel()
        self.demo_hint.setObjectName("demoHint")
        self.demo_hint.setAccessibleName("Demo practice hint")
        self.demo_hint.hide()
        step.layout_.addWidget(self.demo_hint)
        form = QFormLayout()
        self.code_edit = labelled_edit("Authenticator or backup code", placeholder="123456 or abcd-efgh")
        self.code_edit.setMaxLength(12)
        form.addRow("&Code:", self.code_edit)
        step.layout_.addLayout(form)
        back = QPushButton("Back")
        back.clicked.connect(self._back_to_credentials)
        self.verify_button = QPushButton("Verify")
        self.verify_button.clicked.connect(self._submit_code)
        step.finish(back, self.verify_button)
        self.stack.addWidget(step)

    def _build_enroll(self) -> None:
        step = self.enroll_step = _Step(
            "Set up your authenticator app",
            "This is your first sign-in. Add MentalSpace to an authenticator app: "
            "from now on you will sign in with your password and a code.",
        )
        self.enrollment = EnrollmentPanel()
        step.layout_.addWidget(self.enrollment)
        back = QPushButton("Cancel")
        back.clicked.connect(self._back_to_credentials)
        self.enroll_button = QPushButton("Confirm")
        self.enroll_button.clicked.connect(self._submit_enrollment)
        step.finish(back, self.enroll_button)
        self.stack.addWidget(step)

    def _build_codes(self) -> None:
        step = self.codes_step = _Step("Backup codes", "Your authenticator app is set up.")
        self.backup_codes = BackupCodesPanel()
        step.layout_.addWidget(self.backup_codes)
        self.codes_button = QPushButton("Continue")
        self.codes_button.setEnabled(False)
        self.backup_codes.sig_confirmed_changed.connect(self.codes_button.setEnabled)
        self.codes_button.clicked.connect(self._after_codes)
        step.finish(self.codes_button)
        self.stack.addWidget(step)

    def _build_password(self) -> None:
        step = self.password_step = _Step(
            "Choose your own password",
            "You signed in with a temporary password from your administrator. Choose a new one to continue.",
        )
        self.password_host = QVBoxLayout()
        step.layout_.addLayout(self.password_host)
        self.new_password: NewPasswordForm | None = None
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.reject)
        self.password_button = QPushButton("Save and continue")
        self.password_button.setEnabled(False)
        self.password_button.clicked.connect(self._submit_new_password)
        step.finish(cancel, self.password_button)
        self.stack.addWidget(step)

    def _show(self, step: _Step) -> None:
        self.stack.setCurrentWidget(step)
        self.adjustSize()  # grow to fit a taller step (QR code, backup codes)
        first = {
            self.credentials: self.username if not self.username.text() else self.password,
            self.code_step: self.code_edit,
            self.enroll_step: self.enrollment.code_edit,
            self.codes_step: self.backup_codes.save_button,
        }.get(step)
        if step is self.password_step and self.new_password is not None:
            first = self.new_password.new
        if first is not None:
            first.setFocus()

    def current_step(self) -> _Step:
        return self.stack.currentWidget()  # type: ignore[return-value]

    def _busy(self, step: _Step, busy: bool, text: str = "") -> None:
        step.setEnabled(not busy)
        self._still_working.stop()
        if busy:
            step.message.show_hint(text)
            if step is self.credentials:
                self._still_working.start(self.STILL_WORKING_MS)

    # -- password ------------------------------------------------------------------------------

    def _submit_password(self) -> None:
        username, password = self.username.text().strip(), self.password.text()
        if not username or not password:
            self.credentials.message.show_error("Enter your user name and password.")
            return
        self._busy(self.credentials, True, "Checking your password…")
        run_in_background(
            self,
            lambda: _authenticator(self.data_dir).begin(username, password),
            on_done=lambda p: self._password_ok(p, password),
            on_error=self._password_failed,
        )

    def _password_failed(self, exc: BaseException) -> None:
        self._busy(self.credentials, False)
        self.credentials.message.show_exception(exc)
        self.password.selectAll()
        self.password.setFocus()
        self.sig_step_failed.emit(self.credentials.message.text())

    def _password_ok(self, pending: Any, password: str) -> None:
        self._busy(self.credentials, False)
        self.credentials.message.clear_message()
        self._pending = pending
        self._password = password
        self._must_change = bool(pending.must_change_password)
        self.password.clear()
        if pending.needs_enrollment:
            from mentalspace_desktop.services import totp

            self.enrollment.set_account(
                secret=totp.new_secret(), username=pending.username, practice=pending.practice_name()
            )
            self.enroll_step.message.clear_message()
            self._show(self.enroll_step)
            return
        demo = pending.demo_code()
        self.demo_hint.setVisible(demo is not None)
        if demo is not None:
            self.demo_hint.setText(f"Demo practice — current code: {demo}")
        self.code_edit.clear()
        self.code_step.message.clear_message()
        if getattr(pending, "via_hub", False):
            self.code_step.message.show_hint(
                "This is your first sign-in on this workstation: the practice hub will check your password "
                "and code, so it must be online."
            )
        self._show(self.code_step)

    def _back_to_credentials(self) -> None:
        self._drop_pending()
        self._show(self.credentials)

    def _drop_pending(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        self._password = ""

    # -- code ----------------------------------------------------------------------------------

    def _submit_code(self) -> None:
        code = self.code_edit.text().strip()
        if not code:
            self.code_step.message.show_error("Enter the code from your app or a backup code.")
            return
        pending = self._pending
        self._busy(self.code_step, True, "Checking the code…")
        run_in_background(
            self,
            lambda: _authenticator(self.data_dir).complete(pending, code),
            on_done=self._signed_in,
            on_error=self._code_failed,
        )

    def _code_failed(self, exc: BaseException) -> None:
        from mentalspace_desktop.errors import AccountLocked

        self._busy(self.code_step, False)
        if isinstance(exc, AccountLocked):
            self._drop_pending()
            self._show(self.credentials)
            self.credentials.message.show_exception(exc)
            self.sig_step_failed.emit(self.credentials.message.text())
            return
        self.code_step.message.show_exception(exc)
        self.sig_step_failed.emit(self.code_step.message.text())
        self.code_edit.selectAll()
        self.code_edit.setFocus()

    # -- enrollment ----------------------------------------------------------------------------

    def _submit_enrollment(self) -> None:
        if not self.enrollment.has_full_code():
            self.enroll_step.message.show_error("Enter the 6-digit code your app shows.")
            return
        pending, secret, code = self._pending, self.enrollment.secret, self.enrollment.code()
        self._busy(self.enroll_step, True, "Checking the code…")
        run_in_background(
            self,
            lambda: _authenticator(self.data_dir).enroll(pending, secret=secret, code=code),
            on_done=self._enrolled,
            on_error=self._enroll_failed,
        )

    def _enroll_failed(self, exc: BaseException) -> None:
        self._busy(self.enroll_step, False)
        self.enroll_step.message.show_exception(exc)
        self.enrollment.code_edit.selectAll()
        self.enrollment.code_edit.setFocus()
        self.sig_step_failed.emit(self.enroll_step.message.text())

    def _enrolled(self, result: tuple[Any, list[str]]) -> None:
        session, codes = result
        self._busy(self.enroll_step, False)
        self.session = session
        self._pending = None
        self.backup_codes.set_codes(codes, owner=session.actor.username)
        self._show(self.codes_step)

    def _after_codes(self) -> None:
        self._finish_or_change_password()

    # -- finishing -----------------------------------------------------------------------------

    def _signed_in(self, session: Any) -> None:
        self._busy(self.code_step, False)
        if self._pending is not None:  # a hub-confirmed first sign-in learns this only now
            self._must_change = bool(self._pending.must_change_password)
        self.session = session
        self._pending = None
        self._finish_or_change_password()

    def _finish_or_change_password(self) -> None:
        if not self._must_change:
            self._accept_session()
            return
        if self.new_password is None:
            actor = self.session.actor
            self.new_password = NewPasswordForm(
                username=actor.username, full_name=actor.full_name, ask_current=False
            )
            self.new_password.sig_validity_changed.connect(self.password_button.setEnabled)
            self.password_host.addWidget(self.new_password)
        self._show(self.password_step)

    def _submit_new_password(self) -> None:
        assert self.new_password is not None
        if not self.new_password.is_valid():
            return
        new, current, session = self.new_password.new.text(), self._password, self.session
        self._busy(self.password_step, True, "Saving your new password…")

        def work() -> None:
            from mentalspace_desktop.services.accounts import AccountService

            AccountService(session).change_password(current=current, new=new)

        run_in_background(
            self, work, on_done=lambda _r: self._accept_session(), on_error=self._password_change_failed
        )

    def _password_change_failed(self, exc: BaseException) -> None:
        self._busy(self.password_step, False)
        self.password_step.message.show_exception(exc)
        self.sig_step_failed.emit(self.password_step.message.text())

    def _accept_session(self) -> None:
        self._password = ""
        self.sig_signed_in.emit(self.session)
        self.accept()

    def reject(self) -> None:
        if self.current_step() is self.codes_step:
            return  # the codes are shown only once: leave this page with Continue
        self._drop_pending()
        if self.session is not None:  # signed in but the forced password change was abandoned
            self.session.close()
            self.session = None
        super().reject()
