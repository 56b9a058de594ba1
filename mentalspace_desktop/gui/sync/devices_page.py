"""Administrators' sync screens: the practice's workstations, and every device's sync log on the hub.

Approving lets a new workstation receive data; revoking makes it destroy its key slots at its next
contact with the hub, so a lost laptop becomes unreadable; removing a person from a workstation stops
them working there, and what only they could read leaves it at its next sync. Each asks the hub
(which checks again that the caller is an administrator), in a worker: the hub may be slow or away.
"""

from __future__ import annotations

import html
from typing import Any

from mentalspace_desktop.gui.qt import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.sync.controller import SyncController
from mentalspace_desktop.gui.sync.indicator import make_table
from mentalspace_desktop.gui.sync.models import DevicesModel, RunsModel
from mentalspace_desktop.gui.widgets.forms import MessageLabel, button_row, labelled_edit, page_header
from mentalspace_desktop.gui.workers import Task, run_in_background
from mentalspace_desktop.services.accounts import AccountService
from mentalspace_desktop.services.sync_status import DeviceView, SyncStatusService


class _ActionDialog(QDialog):
    """An administrator's action on a workstation: what follows from it, one field, and its button."""

    def __init__(self, title: str, text: str, action: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        label = QLabel(text)
        label.setWordWrap(True)
        layout.addWidget(label)
        self.form = QFormLayout()
        layout.addLayout(self.form)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.action_button = self.buttons.addButton(action, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)


class RevokeDialog(_ActionDialog):
    """Asks why: the reason is shown on the revoked workstation and kept in the hub's records."""

    def __init__(self, device: DeviceView, parent: QWidget | None = None, *,
                 names: dict[str, str] | None = None) -> None:
        enrolled_by = (names or {}).get(device.username or "", device.username or "someone unknown")
        super().__init__("Revoke workstation",
                         f"<b>{html.escape(device.name)}</b> (enrolled by {html.escape(enrolled_by)}) will stop "
                         "syncing. The next time it reaches the hub it locks its local records for good; "
                         "work not yet sent from it is lost. This cannot be undone.", "Revoke", parent)
        self.reason = labelled_edit("Reason", placeholder="e.g. laptop reported stolen")
        self.form.addRow("&Reason:", self.reason)
        self.revoke_button = self.action_button
        self.revoke_button.setEnabled(False)
        self.reason.textChanged.connect(lambda t: self.revoke_button.setEnabled(bool(t.strip())))


class RemovePersonDialog(_ActionDialog):
    """Asks who no longer works on the workstation, and says what follows."""

    def __init__(self, device: DeviceView, parent: QWidget | None = None, *,
                 names: dict[str, str] | None = None) -> None:
        super().__init__("Remove a person from a workstation",
                         "The person you choose can no longer sign in or sync on "
                         f"<b>{html.escape(device.name)}</b>. At its next sync the workstation gives up every "
                         "record that only they could read. "
                         "Their account and their work elsewhere stay as they are.", "Remove", parent)
        self.person = QComboBox()
        for username in device.staff:  # the full name shown, the user name sent to the hub
            self.person.addItem((names or {}).get(username, username), username)
        self.person.setAccessibleName("Person to remove")
        self.form.addRow("&Person:", self.person)
        self.remove_button = self.action_button
        self.remove_button.setEnabled(bool(device.staff))


class _HubPage(QWidget):
    sig_loaded = Signal()
    """The table shows the hub's latest answer."""

    def __init__(self, session: Any, controller: SyncController, title: str, subtitle: str,
                 parent: QWidget | None) -> None:
        super().__init__(parent)
        self.session = session
        self.controller = controller
        self.service = SyncStatusService(session, controller.client)
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(28, 22, 28, 18)
        self.layout_.setSpacing(10)
        self.layout_.addWidget(page_header(title, subtitle))
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("Ask the hub again")
        self.refresh_button.clicked.connect(self.reload)
        self.message = MessageLabel()

    def reload(self) -> Task:
        raise NotImplementedError

    def staff_names(self) -> dict[str, str]:
        """User name -> full name of the practice's staff (the hub's answers name people by user name).
        Read in the worker along with the hub's answer."""
        return {u.username: u.full_name for u in AccountService(self.session).list_users()}


class DevicesPage(_HubPage):
    sig_device_did_change = Signal(str)
    """A workstation was approved or revoked: its id."""

    def __init__(self, session: Any, controller: SyncController, parent: QWidget | None = None) -> None:
        super().__init__(session, controller, "Devices",
                         "Every workstation connected to the practice hub. A new workstation receives no "
                         "records until you approve it; revoke one that is lost or no longer used, and "
                         "remove a person from one they no longer work on.", parent)
        self.approve_button = QPushButton("Approve")
        self.approve_button.setProperty("primary", True)
        self.revoke_button = QPushButton("Revoke…")
        self.remove_person_button = QPushButton("Remove person…")
        self.remove_person_button.setToolTip("Stop someone working on the selected workstation")
        self.approve_button.clicked.connect(self.approve)
        self.revoke_button.clicked.connect(self.revoke)
        self.remove_person_button.clicked.connect(self.remove_person)
        self.layout_.addLayout(button_row(self.approve_button, self.revoke_button, self.remove_person_button,
                                          self.refresh_button, stretch_first=False))
        self.model = DevicesModel(self, this_device=session.store.device_id)
        # The staff list takes the width the others leave (a long one ends in "…", its tooltip says all):
        # after 10 AM the two times grow a digit and pushed the last column's heading out of sight.
        self.table = make_table(self.model, "Workstations", empty="No workstation has joined the hub yet.",
                                stretch=self.model.headers.index("Staff"))
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.layout_.addWidget(self.table, 1)
        self.layout_.addWidget(self.message)
        self._update_buttons()
        self.reload()

    def reload(self) -> Task:
        service = self.service
        return run_in_background(self, lambda: (service.devices(), self.staff_names()), on_done=self._loaded,
                                 on_error=self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.message.show_exception(exc)
        self.sig_loaded.emit()

    def _loaded(self, answer: tuple[list[DeviceView], dict[str, str]]) -> None:
        devices, self.model.names = answer
        selected = self.selected()
        self.model.set_rows(devices)
        if selected is not None and (row := self.model.row_of(selected.id)) >= 0:
            self.table.selectRow(row)
        elif (pending := next((i for i, d in enumerate(devices) if d.status == "pending"), -1)) >= 0:
            self.table.selectRow(pending)  # the usual reason to come here
        self._update_buttons()
        self.sig_loaded.emit()

    def selected(self) -> DeviceView | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row(rows[0].row()) if rows else None

    def select(self, device_id: str) -> None:
        if (row := self.model.row_of(device_id)) >= 0:
            self.table.selectRow(row)

    def _update_buttons(self) -> None:
        d = self.selected()
        self.approve_button.setEnabled(d is not None and d.status == "pending")
        self.revoke_button.setEnabled(d is not None and d.status != "revoked"
                                      and d.id != self.session.store.device_id)
        self.remove_person_button.setEnabled(d is not None and d.status != "revoked" and bool(d.staff))

    def approve(self) -> Task | None:
        d = self.selected()
        if d is None:
            return None
        return self._act(lambda: self.service.approve_device(d.id),
                         f"{d.name} is approved: it receives the practice's records at its next sync.")

    def ask_revoke_reason(self, device: DeviceView) -> str | None:
        """The reason typed in the dialog, or None if cancelled. Tests replace this."""
        dialog = RevokeDialog(device, self, names=self.model.names)
        return dialog.reason.text().strip() if dialog.exec() == QDialog.DialogCode.Accepted else None

    def revoke(self) -> Task | None:
        d = self.selected()
        if d is None:
            return None
        reason = self.ask_revoke_reason(d)
        if not reason:
            return None
        return self._act(lambda: self.service.revoke_device(d.id, reason=reason),
                         f"{d.name} is revoked. It locks its records the next time it reaches the hub.")

    def ask_person_to_remove(self, device: DeviceView) -> str | None:
        """The user name chosen in the dialog, or None if cancelled. Tests replace this."""
        dialog = RemovePersonDialog(device, self, names=self.model.names)
        return dialog.person.currentData() if dialog.exec() == QDialog.DialogCode.Accepted else None

    def remove_person(self) -> Task | None:
        d = self.selected()
        if d is None:
            return None
        person = self.ask_person_to_remove(d)
        if not person:
            return None
        return self._act(lambda: self.service.remove_person(d.id, person),
                         f"{person} no longer works on {d.name}. What only they could read leaves it at its "
                         "next sync.")

    def _act(self, work: Any, done_text: str) -> Task:
        self.approve_button.setEnabled(False)
        self.revoke_button.setEnabled(False)
        self.remove_person_button.setEnabled(False)

        def done(device: DeviceView) -> None:
            self.message.show_ok(done_text)
            self.sig_device_did_change.emit(device.id)
            self.reload()

        def failed(exc: BaseException) -> None:
            self.message.show_exception(exc)
            self._update_buttons()

        return run_in_background(self, work, on_done=done, on_error=failed)


NAME_COLUMN = 170  # px at 1x: a workstation's or a person's name in the all-devices log


class HubLogPage(_HubPage):
    """Every device's sync runs as the hub recorded them: where sync fails, and for whom."""

    def __init__(self, session: Any, controller: SyncController, parent: QWidget | None = None) -> None:
        super().__init__(session, controller, "All devices' sync log",
                         "Every sync attempt of every workstation, as the hub recorded it, newest first.",
                         parent)
        self.layout_.addLayout(button_row(self.refresh_button, stretch_first=False))
        self.model = RunsModel(self, with_device=True)
        # Fits 1280 px without a sideways scroll: the result takes what the other columns leave (a long
        # error ends in "…", its tooltip says all of it and every count); names are capped likewise.
        self.table = make_table(self.model, "All devices' sync runs", stretch=self.model.result_column,
                                empty="The hub has no sync recorded yet: each workstation's runs appear here.")
        header = self.table.horizontalHeader()
        for column in self.model.sized_to_fit:
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
        self.layout_.addWidget(self.table, 1)
        self.layout_.addWidget(self.message)
        controller.sig_run_did_finish.connect(lambda _r: self.reload() if self.isVisible() else None)
        self.reload()

    def reload(self) -> Task:
        def loaded(answer: tuple[list[Any], dict[str, str]]) -> None:
            runs, self.model.names = answer
            self.model.set_rows(runs)
            self._fit_names()
            self.message.clear_message()
            self.sig_loaded.emit()

        def failed(exc: BaseException) -> None:
            self.message.show_exception(exc)
            self.sig_loaded.emit()

        service = self.service
        return run_in_background(self, lambda: (service.hub_log(), self.staff_names()), on_done=loaded,
                                 on_error=failed)

    def _fit_names(self) -> None:
        """Workstation and user columns as wide as their longest name, up to NAME_COLUMN px (then "…")."""
        header = self.table.horizontalHeader()
        for column in self.model.sized_to_fit:
            wanted = max(self.table.sizeHintForColumn(column), header.sectionSizeHint(column))
            header.resizeSection(column, min(wanted, NAME_COLUMN))
