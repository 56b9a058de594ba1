"""A client's appointments in their chart: what is coming, checked in from here with one click, with
"Join" and "Copy link" for telehealth and the room otherwise."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from mentalspace_desktop.gui.bridge import EventBridge
from mentalspace_desktop.gui.calendar.appointment_list import AppointmentButtons, appointments_table
from mentalspace_desktop.gui.calendar.common import clock as _clock
from mentalspace_desktop.gui.calendar.model import CalendarEntry
from mentalspace_desktop.gui.localtime import wall_now
from mentalspace_desktop.gui.qt import QHBoxLayout, QLabel, QShowEvent, Qt, QVBoxLayout, QWidget, Signal
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
        self.table = appointments_table(self.model, "The client's appointments")
        forms.empty_state(self.table, "No appointments booked for this client.")
        self.next_label = QLabel()
        self.next_label.setObjectName("sectionTitle")
        self.next_label.setWordWrap(True)  # a long type and provider wrap instead of widening the chart
        self.message = forms.MessageLabel()
        self.buttons = AppointmentButtons(self, self.table, self.model, self.message,
                                          check_in=self.service.check_in, checked_in=self._checked_in,
                                          hide_links=True)
        self.check_in_button = self.buttons.check_in_button
        self.check_in_button.setToolTip("Check-in is for today's appointments.")
        self.join_button, self.copy_button = self.buttons.join_button, self.buttons.copy_button
        row = QHBoxLayout()
        row.addWidget(self.next_label, 1)
        for b in (self.join_button, self.copy_button, self.check_in_button):
            row.addWidget(b)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(row)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)
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
            self, lambda: service.entries(today, today + AHEAD, client_id=client_id),
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
        return self.buttons.selected()

    def _selected(self) -> None:
        today = self.now().date()
        self.buttons.update(may_check_in=lambda e: e.start.date() == today)

    def check_in(self) -> None:
        self.buttons.check_in()

    def _checked_in(self, e: CalendarEntry) -> None:
        self.message.show_ok(f"Checked in for {e.type_name} at {_clock(e.start)}.")
        self.reload()
