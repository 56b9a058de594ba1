"""Dialogs for one staff account: create or edit it, and give it a temporary password.

Each dialog calls the service itself (in the background: a new password means Argon2 work) and shows
what the service refused next to the form, so the administrator fixes it without starting over.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from mentalspace_desktop.domain.roles import Role
from mentalspace_desktop.gui.qt import (
    QCheckBox,
    QComboBox,
    QDate,
    QDateEdit,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
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
from mentalspace_desktop.services.accounts import LICENSE_TYPES, AccountService, NewUser, UserView

SUPERVISING_ROLES = (Role.SUPERVISOR, Role.ADMIN)


class UserDialog(QDialog):
    """New user (``user`` is None) or edit an existing one."""

    def __init__(
        self, session: Any, users: list[UserView], user: UserView | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.user = user
        self.created_id: str | None = None
        is_new = user is None
        self.setWindowTitle("New user" if is_new else f"Edit {user.full_name}")  # type: ignore[union-attr]
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(10)
        layout.addWidget(
            page_header(
                "New user" if is_new else "Edit user",
                "They sign in with the temporary password, choose their own and set up an authenticator app."
                if is_new
                else f"{user.full_name} ({user.username})",  # type: ignore[union-attr]
            )
        )
        form = QFormLayout()
        form.setSpacing(10)
        self.full_name = labelled_edit("Full name")
        self.username = labelled_edit("User name", placeholder="letters, digits, dots")
        self.email = labelled_edit("E-mail")
        self.role = QComboBox()
        self.role.setAccessibleName("Role")
        for role in Role:
            self.role.addItem(role.label, role)
        self.role.setCurrentIndex(self.role.findData(Role.CLINICIAN))
        self.license = QComboBox()
        self.license.setAccessibleName("License type")
        self.license.addItem("None", None)
        for lic in LICENSE_TYPES:
            self.license.addItem(lic, lic)
        self.supervisor = QComboBox()
        self.supervisor.setAccessibleName("Supervisor")
        self.supervisor.addItem("No supervisor", None)
        for u in users:
            if u.role in SUPERVISING_ROLES and u.active and (user is None or u.id != user.id):
                self.supervisor.addItem(f"{u.full_name} ({u.role.label})", u.id)
        self.hipaa_done = QCheckBox("Completed on")
        self.hipaa_done.setAccessibleName("HIPAA training completed")
        self.hipaa_date = QDateEdit(QDate.currentDate())
        self.hipaa_date.setAccessibleName("HIPAA training date")
        self.hipaa_date.setCalendarPopup(True)
        self.hipaa_date.setDisplayFormat("MMM d, yyyy")
        self.hipaa_date.setEnabled(False)
        self.hipaa_done.toggled.connect(self.hipaa_date.setEnabled)
        hipaa = QHBoxLayout()
        hipaa.addWidget(self.hipaa_done)
        hipaa.addWidget(self.hipaa_date, 1)
        form.addRow("&Full name:", self.full_name)
        if is_new:
            form.addRow("&User name:", self.username)
        form.addRow("&E-mail:", self.email)
        form.addRow("&Role:", self.role)
        form.addRow("&License:", self.license)
        form.addRow("&Supervisor:", self.supervisor)
        form.addRow("HIPAA training:", hipaa)
        self.password = labelled_edit("Temporary password", password=True)
        self.confirm = labelled_edit("Confirm temporary password", password=True)
        self.feedback = feedback_label()
        if is_new:
            form.addRow("&Temporary password:", self.password)
            form.addRow("C&onfirm:", self.confirm)
            form.addRow("", self.feedback)
            self.password.textChanged.connect(self._password_changed)
            self.confirm.textChanged.connect(self._password_changed)
            self._password_changed()
        layout.addLayout(form)
        self.message = MessageLabel()
        layout.addWidget(self.message)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.reject)
        self.save_button = primary(QPushButton("Create user" if is_new else "Save changes"))
        self.save_button.clicked.connect(self._save)
        layout.addLayout(button_row(cancel, self.save_button))
        if user is not None:
            self._load(user)
        self.full_name.setFocus()

    def _load(self, user: UserView) -> None:
        self.full_name.setText(user.full_name)
        self.email.setText(user.email or "")
        self.role.setCurrentIndex(self.role.findData(user.role))
        self.license.setCurrentIndex(max(0, self.license.findData(user.license_type)))
        self.supervisor.setCurrentIndex(max(0, self.supervisor.findData(user.supervisor_id)))
        if user.hipaa_training_on:
            self.hipaa_done.setChecked(True)
            d = user.hipaa_training_on
            self.hipaa_date.setDate(QDate(d.year, d.month, d.day))

    def _password_changed(self) -> None:
        ok, text = password_feedback(
            self.password.text(),
            self.confirm.text(),
            username=self.username.text(),
            full_name=self.full_name.text(),
        )
        self.feedback.setText(text)
        self.feedback.setProperty("role", "ok" if ok else "hint")
        repolish(self.feedback)

    def hipaa_on(self) -> date | None:
        if not self.hipaa_done.isChecked():
            return None
        d = self.hipaa_date.date()
        return date(d.year(), d.month(), d.day())

    def _save(self) -> None:
        role = Role(self.role.currentData())  # Qt hands the enum back as its string value
        license_type = self.license.currentData()
        supervisor_id = self.supervisor.currentData()
        hipaa = self.hipaa_on()
        service = AccountService(self.session)
        if self.user is None:
            if self.password.text() != self.confirm.text():
                self.message.show_error("The two temporary passwords differ.")
                return
            new = NewUser(
                self.username.text().strip(),
                self.full_name.text().strip(),
                role,
                self.password.text(),
                email=self.email.text().strip() or None,
                license_type=license_type,
                supervisor_id=supervisor_id,
                hipaa_training_on=hipaa,
            )
            work: Any = lambda: service.create_user(new)  # noqa: E731
        else:
            user_id = self.user.id
            full_name, email = self.full_name.text().strip(), self.email.text().strip()

            def work() -> None:
                service.update_user(
                    user_id,
                    role=role,
                    license_type=license_type,
                    supervisor_id=supervisor_id,
                    clear_supervisor=supervisor_id is None,
                    hipaa_training_on=hipaa,
                    full_name=full_name or None,
                    email=email or None,
                )

        self.setEnabled(False)
        self.message.show_hint("Saving…")
        run_in_background(self, work, on_done=self._saved, on_error=self._failed)

    def _saved(self, result: object) -> None:
        self.setEnabled(True)
        if isinstance(result, str):
            self.created_id = result
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.setEnabled(True)
        self.message.show_exception(exc)


class ResetPasswordDialog(QDialog):
    """Give someone a temporary password (they must change it at their next sign-in).

    With ``reactivate`` it also reactivates a deactivated account: deactivating destroyed their key
    slot, so coming back always needs a new temporary password.
    """

    def __init__(
        self, session: Any, user: UserView, parent: QWidget | None = None, *, reactivate: bool = False
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.user = user
        self.reactivate = reactivate
        title = "Reactivate" if reactivate else "Reset password"
        self.setWindowTitle(f"{title} — {user.full_name}")
        self.setMinimumWidth(480)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(10)
        layout.addWidget(
            page_header(
                title,
                f"{user.full_name} signs in next with this temporary "
                "password and must then choose their own. Any lock "
                "on the account is cleared.",
            )
        )
        form = QFormLayout()
        self.password = labelled_edit("Temporary password", password=True)
        self.confirm = labelled_edit("Confirm temporary password", password=True)
        self.feedback = feedback_label()
        form.addRow("&Temporary password:", self.password)
        form.addRow("&Confirm:", self.confirm)
        form.addRow("", self.feedback)
        layout.addLayout(form)
        self.message = MessageLabel()
        layout.addWidget(self.message)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.reject)
        self.save_button = primary(QPushButton("Reactivate" if reactivate else "Reset password"))
        self.save_button.clicked.connect(self._save)
        layout.addLayout(button_row(cancel, self.save_button))
        self.password.textChanged.connect(self._changed)
        self.confirm.textChanged.connect(self._changed)
        self._changed()

    def _changed(self) -> None:
        ok, text = password_feedback(
            self.password.text(),
            self.confirm.text(),
            username=self.user.username,
            full_name=self.user.full_name,
        )
        self.feedback.setText(text)
        self.feedback.setProperty("role", "ok" if ok else "hint")
        repolish(self.feedback)
        self.save_button.setEnabled(ok)

    def _save(self) -> None:
        service, user_id, password = AccountService(self.session), self.user.id, self.password.text()
        self.setEnabled(False)
        if self.reactivate:
            work: Any = lambda: service.set_active(user_id, True, temporary_password=password)  # noqa: E731
        else:
            work = lambda: service.reset_password(user_id, password)  # noqa: E731
        run_in_background(self, work, on_done=lambda _r: self.accept(), on_error=self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.setEnabled(True)
        self.message.show_exception(exc)
