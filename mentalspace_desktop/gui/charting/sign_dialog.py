"""The signing prompt: exactly what will be signed, and the password or a one-time code again."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from mentalspace_desktop.gui.clients.common import format_date
from mentalspace_desktop.gui.qt import QDialog, QLabel, QListWidget, QPushButton, QVBoxLayout, QWidget, Signal
from mentalspace_desktop.gui.widgets.forms import MessageLabel, button_row, labelled_edit, primary
from mentalspace_desktop.gui.workers import run_in_background
from mentalspace_desktop.services.charting.notes import NoteLine


class SignDialog(QDialog):
    """Re-authenticate to sign; ``sign`` is the service call, run off the UI thread with the secret."""

    sig_signed = Signal(object)
    """The signature went through: the service's answer."""

    def __init__(self, lines: Sequence[NoteLine | str], sign: Callable[[str], Any], *, verb: str = "Sign",
                 what: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sign = sign
        count = len(lines)
        what = what or ("this note" if count == 1 else f"these {count} notes")
        self.setWindowTitle(f"{verb} {what}")
        self.setAccessibleName(f"{verb} {what}")
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        intro = QLabel(f"You are about to {verb.lower()} {what}. Once signed, it cannot be changed; "
                       "a note is corrected by addendum, a plan by a new plan.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.list = QListWidget(self)
        self.list.setAccessibleName("What will be signed")
        for n in lines:
            self.list.addItem(n if isinstance(n, str) else
                              f"{n.client_name} — {n.type_name}, {format_date(n.service_date)}")
        self.list.setMaximumHeight(24 + 22 * min(8, count))
        layout.addWidget(self.list)
        prompt = QLabel("Enter your &password or a code from your authenticator app to sign:")
        prompt.setWordWrap(True)
        self.secret = labelled_edit("Password or one-time code", password=True)
        prompt.setBuddy(self.secret)
        layout.addWidget(prompt)
        layout.addWidget(self.secret)
        self.message = MessageLabel(self)
        layout.addWidget(self.message)
        self.sign_button = primary(QPushButton(f"&{verb}", self))
        self.sign_button.setAccessibleName(f"{verb} {what}")
        cancel = QPushButton("Cancel", self)
        cancel.clicked.connect(self.reject)
        self.sign_button.clicked.connect(self.submit)
        layout.addLayout(button_row(cancel, self.sign_button))
        self.secret.setFocus()

    def submit(self) -> None:
        secret = self.secret.text()
        if not secret:
            self.message.show_error("Enter your password or a one-time code.")
            return
        self.sign_button.setEnabled(False)
        self.message.show_hint("Checking…")
        run_in_background(self, lambda: self._sign(secret), on_done=self._done, on_error=self._failed)

    def _done(self, result: object) -> None:
        self.sig_signed.emit(result)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.sign_button.setEnabled(True)
        self.secret.selectAll()
        self.secret.setFocus()
        self.message.show_exception(exc)
