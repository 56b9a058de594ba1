"""Today: the front desk's home — every provider's appointments for today in time order, where each
stands (expected, due, late, no-show so far, checked in), telehealth links, check-in with one key (I).
A clinician's home shows their own day the same way.

The clock re-words the list every minute (a client becomes "late" without anyone doing anything);
the list reloads whenever any workstation changes an appointment.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from mentalspace_desktop.domain.front_desk import Standing, standing, standing_label, summarize
from mentalspace_desktop.domain.roles import Action, Resource, Role, allows_any
from mentalspace_desktop.gui.bridge import EventBridge
from mentalspace_desktop.gui.calendar.appointment_list import AppointmentButtons, appointments_table
from mentalspace_desktop.gui.calendar.common import clock as _clock
from mentalspace_desktop.gui.calendar.model import CalendarEntry
from mentalspace_desktop.gui.calendar.service_source import entry_of
from mentalspace_desktop.gui.localtime import wall_now
from mentalspace_desktop.gui.qt import (
    QColor,
    QHBoxLayout,
    QKeySequence,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QShortcut,
    QShowEvent,
    Qt,
    QTimer,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.rows_model import RowsModel
from mentalspace_desktop.gui.theme import tone
from mentalspace_desktop.gui.widgets import forms
from mentalspace_desktop.gui.workers import run_in_background
from mentalspace_desktop.services.scheduling.appointments import AppointmentService, DoubleBookingItem
from mentalspace_desktop.services.session import UserSession

TONES = {  # theme.tone names, light and dark alike
    Standing.LATE: "warning",
    Standing.NOT_ARRIVED: "danger",
    Standing.CHECKED_IN: "good",
    Standing.COMPLETED: "muted",
    Standing.NO_SHOW: "danger",
    Standing.CANCELLED: "faint",
}


class TodayModel(RowsModel[CalendarEntry]):
    headers = ("Time", "Client", "Provider", "Type", "Where", "Standing", "Confirmed?")

    def __init__(self, now: Callable[[], datetime], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.now = now
        self.dark = False

    def standing(self, e: CalendarEntry) -> Standing:
        status = "cancelled" if e.status == "late_cancelled" else e.status
        return standing(status, e.start, e.end, self.now())

    def cell(self, row: CalendarEntry, column: int, role: int) -> Any:
        value = self.standing(row)
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return f"{_clock(row.start)}–{_clock(row.end)}"
            if column == 1:
                return row.title + ("  ! " + row.risk_label() if row.risk_label() else "")
            if column == 2:
                return row.provider_name
            if column == 3:
                return row.type_name
            if column == 4:
                return ("Telehealth" + (" · link ready" if row.join_url else " · no link")) if row.telehealth \
                    else (row.room_name or "—")
            if column == 6:  # what the client answered the reminder, while it still matters
                mark = row.confirmation_mark()
                return f"{mark[0]} {mark[1]}" if mark else ""
            # whether the client confirmed has its own column: the standing says only where they are
            return standing_label(value, row.start, self.now(), checked_in_at=row.checked_in_at)
        if role == Qt.ItemDataRole.ForegroundRole and column == 5 and value in TONES:
            return QColor(tone(TONES[value]))
        if role == Qt.ItemDataRole.ForegroundRole and column == 6 and (mark := row.confirmation_mark()):
            return QColor(tone(mark[2]))
        if role == Qt.ItemDataRole.FontRole and column in (1, 5) and value in (Standing.LATE, Standing.NOT_ARRIVED):
            from mentalspace_desktop.gui.qt import QFont

            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.describe()
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{self.cell(row, column, Qt.ItemDataRole.DisplayRole)}"
        return None

    def refresh_clock(self) -> None:
        if self.rowCount():
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, len(self.headers) - 1))


class StaleModel(RowsModel[CalendarEntry]):
    """Appointments still "scheduled" a day after their time: the desk must say what happened."""

    headers = ("When", "Client", "Provider", "Type", "Status")

    def cell(self, row: CalendarEntry, column: int, role: int) -> Any:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return (f"{row.start:%a %m/%d} {_clock(row.start)}", row.title, row.provider_name, row.type_name,
                    row.status_label())[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.describe()
        return None


class TodayPage(QWidget):
    """Today's appointments, the desk's counts, and check-in in one key."""

    sig_loaded = Signal()
    """The list was (re)loaded."""
    sig_open_client = Signal(str)
    """Open this client's chart."""
    sig_twice_loaded = Signal()
    """The list of appointments booked twice while offline was (re)loaded."""
    sig_stale_loaded = Signal()
    """The list of past appointments still marked scheduled was (re)loaded."""

    def __init__(self, session: UserSession, bridge: EventBridge, parent: QWidget | None = None, *,
                 now: Callable[[], datetime] = wall_now) -> None:
        super().__init__(parent)
        self.session = session
        self.service = AppointmentService(session)
        self.own = session.actor.role in (Role.CLINICIAN,)
        self.may_resolve = allows_any(session.actor.role, Resource.SCHEDULE, Action.WRITE) and not self.own
        self.now = now
        self.model = TodayModel(now, self)
        self.table = appointments_table(self.model, "Today's appointments")
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.summary = QLabel()
        self.summary.setObjectName("sectionTitle")
        self.summary.setAccessibleName("Today in numbers")
        self.summary.setWordWrap(True)  # a busy day's numbers take two lines beside the buttons, not more width
        self.message = forms.MessageLabel()
        self.buttons = AppointmentButtons(self, self.table, self.model, self.message,
                                          check_in=self.service.check_in, checked_in=self._checked_in,
                                          check_in_text="Check &in  (I)", copy_text="Copy &link")
        self.check_in_button = self.buttons.check_in_button
        self.join_button, self.copy_button = self.buttons.join_button, self.buttons.copy_button
        self.chart_button = QPushButton("Open &chart")
        self.chart_button.setAccessibleName("Open the client's chart")
        title = "My day" if self.own else "Today"
        subtitle = ("Your appointments for today." if self.own
                    else "Every provider's appointments today, in time order. Select one and press I to check in.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addWidget(forms.page_header(title, subtitle))
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        for b in (self.join_button, self.copy_button, self.chart_button, self.check_in_button):
            top.addWidget(b)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)
        self.empty = QLabel("No appointments today.")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setProperty("role", "hint")
        self.empty.hide()
        layout.addWidget(self.empty)
        self._build_stale(layout)
        self._build_twice(layout)

        shortcut = QShortcut(QKeySequence("I"), self.table)
        shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
        shortcut.activated.connect(self.check_in)
        self.chart_button.clicked.connect(self._open_chart)
        self.table.activated.connect(lambda _i: self._open_chart())
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._selection_changed())
        bridge.sig_appointment_did_change.connect(lambda *_a: self.reload())
        self._clock = QTimer(self)
        self._clock.timeout.connect(self._tick)
        self._clock.start(60_000)
        self._loaded_once = False
        self._selection_changed()

    def _build_stale(self, layout: QVBoxLayout) -> None:
        """The data-quality list under the day: visits a day past their time still marked scheduled."""
        self.stale_model = StaleModel(self)
        self.stale_table = appointments_table(self.stale_model,
                                              "Appointments still scheduled a day after their time")
        self.stale_title = QLabel()
        self.stale_title.setObjectName("sectionTitle")
        self.stale_buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        row.addWidget(self.stale_title, 1)
        for key, text in (("complete", "It took &place"), ("no_show", "&No-show"), ("cancel", "Ca&ncelled")):
            button = QPushButton(text)
            button.setAccessibleName(f"Mark the selected past appointment: {text.replace('&', '')}")
            button.clicked.connect(lambda _c=False, k=key: self.resolve_stale(k))
            self.stale_buttons[key] = button
            row.addWidget(button)
        self.stale_box = QWidget()
        box = QVBoxLayout(self.stale_box)
        box.setContentsMargins(0, 8, 0, 0)
        box.addLayout(row)
        box.addWidget(self.stale_table)
        self.stale_box.hide()
        layout.addWidget(self.stale_box)

    def _build_twice(self, layout: QVBoxLayout) -> None:
        """Bookings that collide because two workstations made them while apart: both were kept; the
        desk resolves each pair by moving or cancelling one."""
        self.twice_list = QListWidget()
        self.twice_list.setAccessibleName("Booked twice while offline")
        self.twice_list.setMaximumHeight(110)
        self.twice_list.setWordWrap(True)
        self.twice_title = QLabel()
        self.twice_title.setObjectName("sectionTitle")
        self.open_first = QPushButton("Open the &first…")
        self.open_second = QPushButton("Open the s&econd…")
        row = QHBoxLayout()
        row.addWidget(self.twice_title, 1)
        row.addWidget(self.open_first)
        row.addWidget(self.open_second)
        self.twice_box = QWidget()
        box = QVBoxLayout(self.twice_box)
        box.setContentsMargins(0, 8, 0, 0)
        box.addLayout(row)
        box.addWidget(self.twice_list)
        self.twice_box.hide()
        layout.addWidget(self.twice_box)
        self.open_first.clicked.connect(lambda: self.open_twice(0))
        self.open_second.clicked.connect(lambda: self.open_twice(1))
        self.appointment_dialog: QWidget | None = None

    def _twice_loaded(self, pairs: list[DoubleBookingItem]) -> None:
        self.twice_list.clear()
        for pair in pairs:
            item = QListWidgetItem(pair.message)
            item.setData(Qt.ItemDataRole.UserRole, (pair.first.id, pair.second.id))
            self.twice_list.addItem(item)
        self.twice_title.setText(f"Booked twice while offline ({len(pairs)}): move or cancel one of each pair")
        self.twice_box.setVisible(bool(pairs))
        if pairs:
            self.twice_list.setCurrentRow(0)
        self.sig_twice_loaded.emit()

    def open_twice(self, which: int) -> QWidget | None:
        item = self.twice_list.currentItem()
        if item is None:
            return None
        from mentalspace_desktop.gui.calendar.appointment_dialog import AppointmentDialog

        dialog = AppointmentDialog(self.session, item.data(Qt.ItemDataRole.UserRole)[which], self)
        dialog.sig_changed.connect(self.message.show_ok)
        dialog.sig_changed.connect(lambda _text: self.reload())
        self.appointment_dialog = dialog
        dialog.open()
        return dialog

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if not self._loaded_once:
            self.reload()

    def reload(self) -> None:
        self._loaded_once = True
        service = self.service
        provider = self.session.actor.user_id if self.own else None
        run_in_background(self, lambda: [entry_of(i) for i in service.today(provider_id=provider)],
                          on_done=self._loaded, on_error=self.message.show_exception)
        if self.may_resolve:
            run_in_background(self, lambda: [entry_of(i) for i in service.stale()], on_done=self._stale_loaded,
                              on_error=self.message.show_exception)
            run_in_background(self, service.double_bookings, on_done=self._twice_loaded,
                              on_error=self.message.show_exception)

    def _stale_loaded(self, entries: list[CalendarEntry]) -> None:
        self.stale_model.set_rows(entries)
        n = len(entries)
        self.stale_title.setText(f"Still scheduled a day after their time ({n}): say what happened")
        self.stale_box.setVisible(bool(entries))
        if entries:
            self.stale_table.selectRow(0)
            # as tall as its rows (up to four): today's list keeps the room
            rows = min(n, 4)
            self.stale_table.setFixedHeight(self.stale_table.horizontalHeader().sizeHint().height()
                                            + rows * self.stale_table.verticalHeader().defaultSectionSize() + 4)
        self.sig_stale_loaded.emit()

    def resolve_stale(self, key: str) -> None:
        rows = self.stale_table.selectionModel().selectedRows()
        if not rows:
            return
        e = self.stale_model.row(rows[0].row())
        service = self.service
        fn = {"complete": service.complete, "no_show": service.no_show,
              "cancel": lambda i: service.cancel(i, reason="recorded afterwards")}[key]
        words = {"complete": "took place", "no_show": "was a no-show", "cancel": "was cancelled"}[key]

        def done(_r: object) -> None:
            self.message.show_ok(f"{e.title}, {e.start:%a %m/%d}: {words}.")
            self.reload()

        run_in_background(self, lambda: fn(e.id), on_done=done, on_error=self.message.show_exception)

    def _loaded(self, entries: list[CalendarEntry]) -> None:
        from mentalspace_desktop.gui.calendar.grid import is_dark

        selected = self.selected()
        self.model.dark = is_dark(self)
        self.model.set_rows(sorted(entries, key=lambda e: (e.start, e.provider_name)))
        self.empty.setVisible(not entries)
        self.table.setVisible(bool(entries))
        row = self.model.row_of(selected.id) if selected else -1
        if row < 0:
            row = self._first_waiting()
        if row >= 0:
            self.table.selectRow(row)
        self._update_summary()
        self._selection_changed()
        self.sig_loaded.emit()

    def _first_waiting(self) -> int:
        """The first appointment still waiting for its client (what the desk deals with next)."""
        for i, e in enumerate(self.model.rows()):
            if self.model.standing(e) in (Standing.LATE, Standing.DUE, Standing.EXPECTED):
                return i
        return 0 if self.model.rowCount() else -1

    def _update_summary(self) -> None:
        summary = summarize((self.model.standing(e), e.telehealth) for e in self.model.rows())
        self.summary.setText(f"{self.now():%A, %B} {self.now().day} · {summary.text()}")

    def _tick(self) -> None:
        self.model.refresh_clock()
        self._update_summary()

    def selected(self) -> CalendarEntry | None:
        return self.buttons.selected()

    def _selection_changed(self) -> None:
        self.buttons.update()
        e = self.selected()
        self.chart_button.setEnabled(e is not None and bool(e.client_id))

    def check_in(self) -> None:
        self.buttons.check_in()

    def _checked_in(self, e: CalendarEntry) -> None:
        self.message.show_ok(f"{e.title} checked in at {_clock(self.now())}.")
        self.reload()

    def _open_chart(self) -> None:
        e = self.selected()
        if e is not None and e.client_id:
            self.sig_open_client.emit(e.client_id)
