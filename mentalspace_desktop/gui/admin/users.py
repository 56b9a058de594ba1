"""The Users screen: every staff account, and what an administrator does to them.

The table model owns the rows and their presentation; the page wires buttons to
:class:`AccountService` calls and reloads when the service announces a user changed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mentalspace_desktop.gui import theme
from mentalspace_desktop.gui.admin.user_dialogs import ResetPasswordDialog, UserDialog
from mentalspace_desktop.gui.bridge import EventBridge
from mentalspace_desktop.gui.localtime import format_date, format_relative
from mentalspace_desktop.gui.qt import (
    QAbstractItemView,
    QHeaderView,
    QPushButton,
    Qt,
    QTableView,
    QTimer,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.rows_model import RowsModel
from mentalspace_desktop.gui.widgets import forms
from mentalspace_desktop.gui.widgets.forms import MessageLabel, button_row, empty_state, page_header
from mentalspace_desktop.gui.workers import Task, run_in_background
from mentalspace_desktop.services.accounts import AccountService, UserView


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "Never"
    return format_relative(moment)


def status_text(u: UserView) -> str:
    if not u.active:
        return "Deactivated"
    return "Locked" if u.locked else "Active"


class UsersModel(RowsModel):
    headers = (
        "Name",
        "User name",
        "Role",
        "License",
        "Supervisor",
        "HIPAA training",
        "MFA",
        "Status",
        "Last sign-in",
    )
    current_user_id = ""  # the person signed in: "Signed in now", not the previous sign-in or "Never"

    def set_users(self, users: list[UserView]) -> None:
        self.set_rows(users)

    def user(self, row: int) -> UserView:
        return self.row(row)

    def cell(self, u: UserView, column: int, role: int) -> Any:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return (
                u.full_name,
                u.username,
                u.role.label,
                u.license_type or "—",
                u.supervisor_name or "—",
                format_date(u.hipaa_training_on) if u.hipaa_training_on else "—",
                "Enrolled" if u.mfa_enrolled else "Not set up",
                status_text(u),
                "Signed in now" if u.id == self.current_user_id else _when(u.last_login_at),
            )[column]
        if role == Qt.ItemDataRole.UserRole:
            return u.id
        if role == Qt.ItemDataRole.ForegroundRole and column == 7 and status_text(u) != "Active":
            return theme.colour("danger" if u.locked else "muted")
        return None


class UsersPage(QWidget):
    sig_users_loaded = Signal()
    """The table holds the latest list."""

    def __init__(self, session: Any, bridge: EventBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.service = AccountService(session)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 22, 28, 18)
        layout.setSpacing(12)
        layout.addWidget(
            page_header(
                "Users",
                "Staff accounts, roles and sign-in security. New staff get a "
                "temporary password and set up their authenticator at first "
                "sign-in.",
            )
        )
        self.new_button = QPushButton("New user…")
        self.edit_button = QPushButton("Edit…")
        self.active_button = QPushButton("Deactivate")
        self.mfa_button = QPushButton("Reset authenticator")
        self.password_button = QPushButton("Reset password…")
        self.unlock_button = QPushButton("Unlock")
        for button, handler in (
            (self.new_button, self.new_user),
            (self.edit_button, self.edit_user),
            (self.active_button, self.toggle_active),
            (self.mfa_button, self.reset_mfa),
            (self.password_button, self.reset_password),
            (self.unlock_button, self.unlock),
        ):
            button.clicked.connect(handler)
        self.new_button.setProperty("primary", True)
        layout.addLayout(
            button_row(
                self.new_button,
                self.edit_button,
                self.active_button,
                self.mfa_button,
                self.password_button,
                self.unlock_button,
                stretch_first=False,
            )
        )
        self.model = UsersModel(self)
        self.model.current_user_id = session.actor.user_id
        self.table = QTableView()
        self.table.setModel(self.model)
        empty_state(self.table, "No staff accounts yet.")
        self.table.setAccessibleName("Users")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setDefaultAlignment(
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        )
        self.table.doubleClicked.connect(lambda _i: self.edit_user())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        layout.addWidget(self.table, 1)
        self.message = MessageLabel()
        layout.addWidget(self.message)
        self._reload_pending = False
        bridge.sig_user_did_change.connect(self._schedule_reload)
        self._update_buttons()
        self.reload()

    # -- loading -------------------------------------------------------------------------------

    def reload(self) -> Task:
        return run_in_background(
            self, self.service.list_users, on_done=self._loaded, on_error=self.message.show_exception
        )

    def _schedule_reload(self, _user_id: str = "") -> None:
        if not self._reload_pending:  # several changes in a row load once
            self._reload_pending = True
            QTimer.singleShot(0, self._reload_now)

    def _reload_now(self) -> None:
        self._reload_pending = False
        self.reload()

    def _loaded(self, users: list[UserView]) -> None:
        selected = self.selected_user()
        self.model.set_users(users)
        if selected is not None and (row := self.model.row_of(selected.id)) >= 0:
            self.table.selectRow(row)
        self._update_buttons()
        self.sig_users_loaded.emit()

    def selected_user(self) -> UserView | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.user(rows[0].row()) if rows else None

    def select_user(self, user_id: str) -> None:
        row = self.model.row_of(user_id)
        if row >= 0:
            self.table.selectRow(row)

    def _update_buttons(self) -> None:
        u = self.selected_user()
        mine = u is not None and u.id == self.session.actor.user_id
        for b in (self.edit_button, self.password_button):
            b.setEnabled(u is not None)
        self.active_button.setEnabled(u is not None and not mine)
        self.active_button.setText("Reactivate" if u is not None and not u.active else "Deactivate")
        self.mfa_button.setEnabled(u is not None and u.mfa_enrolled and not mine)
        self.unlock_button.setEnabled(u is not None and u.locked)

    # -- actions -------------------------------------------------------------------------------

    def new_user(self) -> UserDialog:
        dialog = UserDialog(self.session, self.model._rows, None, self)
        dialog.accepted.connect(
            lambda: self.message.show_ok(
                f"{dialog.full_name.text().strip()} can now sign in with the temporary password."
            )
        )
        dialog.open()
        return dialog

    def edit_user(self) -> UserDialog | None:
        u = self.selected_user()
        if u is None:
            return None
        dialog = UserDialog(self.session, self.model._rows, u, self)
        dialog.accepted.connect(lambda: self.message.show_ok(f"Saved {u.full_name}."))
        dialog.open()
        return dialog

    def reset_password(self) -> ResetPasswordDialog | None:
        u = self.selected_user()
        if u is None:
            return None
        dialog = ResetPasswordDialog(self.session, u, self)
        dialog.accepted.connect(
            lambda: self.message.show_ok(f"{u.full_name} signs in next with the temporary password.")
        )
        dialog.open()
        return dialog

    def _run(self, work: Any, done_text: str) -> Task:
        return run_in_background(
            self,
            work,
            on_done=lambda _r: self.message.show_ok(done_text),
            on_error=self.message.show_exception,
        )

    def toggle_active(self) -> Task | None:
        u = self.selected_user()
        if u is None:
            return None
        if u.active:
            if not forms.ask(
                self,
                "Deactivate user?",
                f"{u.full_name} will no longer be able to sign in: their password stops working on this "
                "computer at once. Their records and history are kept. Reactivating needs a new temporary "
                "password.",
                "Deactivate",
            ):
                return None
            return self._run(lambda: self.service.set_active(u.id, False), f"{u.full_name} was deactivated.")
        dialog = ResetPasswordDialog(self.session, u, self, reactivate=True)
        dialog.accepted.connect(
            lambda: self.message.show_ok(f"{u.full_name} can sign in again with the temporary password.")
        )
        dialog.open()
        return None

    def reset_mfa(self) -> Task | None:
        u = self.selected_user()
        if u is None or not forms.ask(
            self,
            "Reset authenticator?",
            f"{u.full_name}'s authenticator app and "
            "backup codes stop working. They set up a new app at their next sign-in.",
            "Reset authenticator",
        ):
            return None
        return self._run(
            lambda: self.service.reset_mfa(u.id), f"{u.full_name} will set up a new authenticator."
        )

    def unlock(self) -> Task | None:
        u = self.selected_user()
        if u is None:
            return None
        return self._run(lambda: self.service.unlock(u.id), f"{u.full_name} can try signing in again.")
