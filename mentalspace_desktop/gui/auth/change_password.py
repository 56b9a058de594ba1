"""Choosing a new password: the form (also used for the forced change at first sign-in) and the dialog.

The service re-checks everything; the live feedback only saves a round trip through Argon2.
"""

from __future__ import annotations

from typing import Any

from mentalspace_desktop.gui.qt import QDialog, QFormLayout, QPushButton, QVBoxLayout, QWidget, Signal
from mentalspace_desktop.gui.widgets.forms import (
    MessageLabel,
    button_row,
    feedback_label,
    labelled_edit,
    page_header,
    password_feedback,
    primary,
    repolish,
)
from mentalspace_desktop.gui.workers import run_in_background


class NewPasswordForm(QWidget):
    """Current password (optional), new password and confirmation, with live feedback."""

    sig_validity_changed = Signal(bool)
    """Whether the typed passwords are acceptable and match."""

    def __init__(
        self, *, username: str, full_name: str, ask_current: bool, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._username = username
        self._full_name = full_name
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setSpacing(12)
        self.current = labelled_edit("Current password", password=True) if ask_current else None
        self.new = labelled_edit("New password", password=True)
        self.confirm = labelled_edit("Confirm new password", password=True)
        self.feedback = feedback_label()
        if self.current is not None:
            form.addRow("C&urrent password:", self.current)
        form.addRow("&New password:", self.new)
        form.addRow("&Confirm new password:", self.confirm)
        form.addRow("", self.feedback)
        self.new.textChanged.connect(self._update)
        self.confirm.textChanged.connect(self._update)
        if self.current is not None:
            self.current.textChanged.connect(self._update)
        self._ok = False
        self._update()

    def _update(self) -> None:
        ok, text = password_feedback(
            self.new.text(), self.confirm.text(), username=self._username, full_name=self._full_name
        )
        self.feedback.setText(text)
        self.feedback.setProperty("role", "ok" if ok else "hint")
        repolish(self.feedback)
        self._ok = ok and (self.current is None or bool(self.current.text()))
        self.sig_validity_changed.emit(self._ok)

    def is_valid(self) -> bool:
        return self._ok

    def first_field(self) -> QWidget:
        return self.current if self.current is not None else self.new


class ChangePasswordDialog(QDialog):
    """File ▸ Change password…: the signed-in user's own password (the key slot is re-wrapped too)."""

    sig_password_changed = Signal()
    """The new password is in effect."""

    def __init__(self, session: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setWindowTitle("Change password")
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(10)
        layout.addWidget(
            page_header(
                "Change your password",
                "Use at least 12 characters. You will use it to sign in and to unlock.",
            )
        )
        actor = session.actor
        self.form = NewPasswordForm(username=actor.username, full_name=actor.full_name, ask_current=True)
        layout.addWidget(self.form)
        self.message = MessageLabel()
        layout.addWidget(self.message)
        self.ok_button = primary(QPushButton("Change password"))
        self.ok_button.setEnabled(False)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.reject)
        self.ok_button.clicked.connect(self._submit)
        self.form.sig_validity_changed.connect(self.ok_button.setEnabled)
        layout.addLayout(button_row(cancel, self.ok_button))
        self.form.first_field().setFocus()

    def _submit(self) -> None:
        if not self.form.is_valid():
            return
        assert self.form.current is not None
        current, new = self.form.current.text(), self.form.new.text()
        self.setEnabled(False)

        def work() -> None:
            from mentalspace_desktop.services.accounts import AccountService

            AccountService(self.session).change_password(current=current, new=new)

        run_in_background(self, work, on_done=self._done, on_error=self._failed)

    def _done(self, _result: object) -> None:
        self.setEnabled(True)
        self.sig_password_changed.emit()
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.setEnabled(True)
        self.message.show_exception(exc)
