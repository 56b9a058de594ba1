"""A client's appointments in their chart: what is coming, checked in from here with one click, with
"Join" and "Copy link" for telehealth and the room otherwise."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from mentalspace_desktop.gui.bridge import EventBridge
from mentalspace_desktop.gui.calendar.common import clock as _clock
from mentalspace_desktop.gui.calendar.common import copy_meeting_link, open_meeting, selected_row
from mentalspace_desktop.gui.calendar.model import CalendarEntry
from mentalspace_desktop.gui.calendar.service_source import entry_of
from mentalspace_desktop.gui.localtime import wall_now
from mentalspace_desktop.gui.qt import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QShowEvent,
    Qt,
    QTableView,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.rows_model import RowsModel
from mentalspace_desktop.gui.widgets import forms
from mentalspace_desktop.gui.workers import run_in_background
from mentalspace_desktop.services.calendar_view import CalendarReadService
from mentalspace_desktop.services.session import UserSession

AHEAD = timedelta(days=120)



class ClientAppointmentsModel(RowsModel[CalendarEntry]):
    headers = ("When", "Type", "Provider", "Where", "Status")

    def cell(self, row: CalendarEntry, column: int, role: int) -> Any:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            where = ("Telehealth" + ("" if row.join_url else " (no link yet)")) if row.telehealth else (
                row.room_name or "—")
            return (f"{row.start:%a %m/%d/%Y} {_clock(row.start)}", row.type_name, row.provider_name, where,
                    row.status_label())[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.describe()
        return None


class ClientAppointmentsPane(QWidget):
    """Today's and the coming appointments of the open client."""

    sig_loaded = Signal()
    """The list was (re)loaded."""

    def __init__(self, session: UserSession, bridge: EventBridge | None = None, parent: QWidget | None = None, *,
                 now: Callable[[], datetime] = wall_now) -> None:
        super().__init__(parent)
        self.service = CalendarReadService(session)
        self.now = now
        self.client_id = ""
        self._stale = False
        self.model = ClientAppointmentsModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("The client's appointments")
        forms.empty_state(self.table, "No appointments booked for this client.")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)  # the type shortens (whole on hover)
        self.next_label = QLabel()
        self.next_label.setObjectName("sectionTitle")
        self.next_label.setWordWrap(True)  # a long type and provider wrap instead of widening the chart
        self.check_in_button = forms.primary(QPushButton("Check &in"))
        self.check_in_button.setAccessibleName("Check the client in for the selected appointment")
        self.join_button = QPushButton("&Join")
        self.join_button.setAccessibleName("Join the telehealth meeting")
        self.copy_button = QPushButton("Copy lin&k")
        self.copy_button.setAccessibleName("Copy the telehealth meeting link")
        self.message = forms.MessageLabel()
        row = QHBoxLayout()
        row.addWidget(self.next_label, 1)
        for b in (self.join_button, self.copy_button, self.check_in_button):
            row.addWidget(b)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(row)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)
        self.check_in_button.clicked.connect(self.check_in)
        self.join_button.clicked.connect(self.join)
        self.copy_button.clicked.connect(self.copy_link)
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._selected())
        if bridge is not None:
            bridge.sig_appointment_did_change.connect(self._appointments_changed)
        self._selected()

    def _appointments_changed(self, _ids: list[str], _providers: list[str]) -> None:
        if self.client_id:
            self._stale = True
            if self.isVisible():
                self.reload()

    def show_client(self, client_id: str) -> None:
        """Show ``client_id``'s appointments — read when the tab is first looked at, not on every chart."""
        self.client_id = client_id
        self._stale = True
        if self.isVisible():
            self.reload()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if self._stale and self.client_id:
            self.reload()

    def reload(self) -> None:
        self._stale = False
        service, client_id = self.service, self.client_id
        today = self.now().date()
        run_in_background(
            self, lambda: [entry_of(i) for i in service.calendar(today, today + AHEAD, client_id=client_id)],
            on_done=self._loaded, on_error=self.message.show_exception)

    def _loaded(self, entries: list[CalendarEntry]) -> None:
        entries = [e for e in entries if not e.busy_only]
        self.model.set_rows(entries)
        coming = [e for e in entries if e.active and e.end >= self.now()]
        if coming:
            e = coming[0]
            self.next_label.setText(f"Next: {e.start:%A %B} {e.start.day}, {_clock(e.start)} — {e.type_name} with "
                                    f"{e.provider_name}")
            self.table.selectRow(self.model.row_of(e.id))
        else:
            self.next_label.setText("No appointments coming up.")
        self._selected()
        self.sig_loaded.emit()

    def selected(self) -> CalendarEntry | None:
        return selected_row(self.table, self.model)

    def _selected(self) -> None:
        e = self.selected()
        today = self.now().date()
        self.check_in_button.setEnabled(e is not None and e.editable and e.status in ("scheduled", "confirmed")
                                        and e.start.date() == today)
        self.check_in_button.setToolTip("Check-in is for today's appointments.")
        link = e is not None and e.telehealth and bool(e.join_url)
        self.join_button.setVisible(link)
        self.copy_button.setVisible(link)

    def check_in(self) -> None:
        e = self.selected()
        if e is None:
            return
        service = self.service

        def done(_r: object) -> None:
            self.message.show_ok(f"Checked in for {e.type_name} at {_clock(e.start)}.")
            self.reload()

        run_in_background(self, lambda: service.check_in(e.id), on_done=done, on_error=self.message.show_exception)

    def join(self) -> None:
        e = self.selected()
        open_meeting(e.join_url if e else "")

    def copy_link(self) -> None:
        e = self.selected()
        copy_meeting_link(e.join_url if e else "", self.message)
