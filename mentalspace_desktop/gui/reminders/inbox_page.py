"""The Messages inbox: clients' replies that need a person and reminders that could not be sent, each
with the client named and one click to their chart or the appointment, and "Mark handled".

The navigation shows how many wait (:class:`InboxCounter`), kept current from ``MessagesDidChange``
events on this workstation and from rows that sync brings from the hub (replies arrive there).
"""

from __future__ import annotations

from mentalspace_desktop.gui.bridge import EventBridge
from mentalspace_desktop.gui.localtime import format_datetime
from mentalspace_desktop.gui.qt import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QObject,
    QPushButton,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.reminders.models import InboxModel, channel_label
from mentalspace_desktop.gui.reminders.settings_page import table
from mentalspace_desktop.gui.widgets import forms
from mentalspace_desktop.gui.workers import Task, run_in_background
from mentalspace_desktop.services.reminders.desk import InboxItem, ReminderDeskService
from mentalspace_desktop.services.session import UserSession

MESSAGE_TABLES = frozenset({"inbound_messages", "reminder_messages"})
"""Pulled rows of these tables change the inbox (a reply arrived at the hub, a reminder failed there)."""
FILTERS = (("all", "Replies and failures"), ("reply", "Replies only"), ("failure", "Failures only"))


class InboxCounter(QObject):
    """How many inbox items wait for a person; ``sig_count`` after every change it hears of."""

    sig_count = Signal(int)
    """The number of unhandled replies and failures this user may see."""

    def __init__(self, session: UserSession, bridge: EventBridge | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.service = ReminderDeskService(session)
        self.count = 0
        if bridge is not None:
            bridge.sig_messages_did_change.connect(lambda _c: self.refresh())
            bridge.sig_appointment_did_change.connect(lambda *_a: self.refresh())

    def tables_pulled(self, tables: frozenset[str] | set[str]) -> None:
        """Sync brought rows: count again when they touch the inbox."""
        if set(tables) & MESSAGE_TABLES:
            self.refresh()

    def refresh(self) -> Task:
        service = self.service
        return run_in_background(self, service.inbox_count, on_done=self._counted, on_error=lambda _e: None)

    def _counted(self, count: int) -> None:
        self.count = count
        self.sig_count.emit(count)


class MessagesPage(QWidget):
    """The front desk's Messages inbox."""

    sig_loaded = Signal()
    """The list was (re)read."""
    sig_open_client = Signal(str)
    """Open this client's chart."""
    sig_open_appointment = Signal(str)
    """Open this appointment."""

    def __init__(self, session: UserSession, bridge: EventBridge | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = ReminderDeskService(session)
        self._items: list[InboxItem] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 22, 28, 18)
        layout.setSpacing(8)
        layout.addWidget(forms.page_header(
            "Messages", "Replies to reminders that need a person, and reminders that could not be sent. "
                        "Confirmations, cancellations and STOP are handled by themselves and do not appear here."))
        self.filter = QComboBox()
        self.filter.setAccessibleName("Show")
        for key, text in FILTERS:
            self.filter.addItem(text, key)
        self.show_handled = QCheckBox("Show &handled")
        self.show_handled.setAccessibleName("Show handled messages too")
        show_label = QLabel("&Show:")
        show_label.setBuddy(self.filter)
        self.count_label = QLabel()
        self.count_label.setAccessibleName("Waiting")
        top = QHBoxLayout()
        top.addWidget(show_label)
        top.addWidget(self.filter)
        top.addWidget(self.show_handled)
        top.addStretch(1)
        top.addWidget(self.count_label)
        layout.addLayout(top)
        self.model = InboxModel(self)
        self.view = table("Messages", self.model)
        self.view.horizontalHeader().setStretchLastSection(False)
        for column in (InboxModel.MESSAGE - 1, InboxModel.MESSAGE):  # why and what share the room; whole on hover
            self.view.horizontalHeader().setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        self.empty = forms.empty_state(self.view, "Nothing waits for you: every reply and failure is handled.")
        self.view.activated.connect(lambda *_: self.open_selected())  # Enter or a double-click
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        layout.addWidget(self.view, 1)
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(Qt.TextFormat.PlainText)
        self.detail.setAccessibleName("The selected message")
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.detail)
        self.message = forms.MessageLabel()
        layout.addWidget(self.message)
        self.chart_button = QPushButton("Open &chart")
        self.chart_button.setAccessibleName("Open the client's chart")
        self.appointment_button = QPushButton("Open &appointment")
        self.appointment_button.setAccessibleName("Open the appointment")
        self.handled_button = forms.primary(QPushButton("&Mark handled"))
        self.handled_button.setAccessibleName("Mark the message handled")
        self.chart_button.clicked.connect(self.open_chart)
        self.appointment_button.clicked.connect(self.open_appointment)
        self.handled_button.clicked.connect(self.mark_handled)
        layout.addLayout(forms.button_row(self.chart_button, self.appointment_button, self.handled_button))
        self.filter.currentIndexChanged.connect(lambda *_: self._apply_filter())
        self.show_handled.toggled.connect(lambda *_: self.reload())
        if bridge is not None:
            bridge.sig_messages_did_change.connect(lambda _c: self.reload())
        self._selection_changed()
        self.reload()

    def reload(self) -> Task:
        service, handled = self.service, self.show_handled.isChecked()
        return run_in_background(self, lambda: service.inbox(include_handled=handled), on_done=self._loaded,
                                 on_error=self.message.show_exception)

    def _loaded(self, items: list[InboxItem]) -> None:
        self._items = items
        self._apply_filter()
        self.sig_loaded.emit()

    def _apply_filter(self) -> None:
        chosen = self.selected()
        key = self.filter.currentData()
        rows = [i for i in self._items if key == "all" or i.kind == key]
        self.model.set_rows(rows)
        waiting = sum(1 for i in self._items if i.handled_at is None)
        self.count_label.setText(f"{waiting} waiting" if waiting else "Nothing waiting")
        row = self.model.row_of(chosen.id) if chosen else -1
        if row < 0 and rows:
            row = 0
        if row >= 0:
            self.view.selectRow(row)
        self._selection_changed()

    def selected(self) -> InboxItem | None:
        rows = self.view.selectionModel().selectedRows()
        return self.model.row(rows[0].row()) if rows else None

    def _selection_changed(self) -> None:
        item = self.selected()
        self.chart_button.setEnabled(bool(item and item.client_id))
        self.appointment_button.setEnabled(bool(item and item.appointment_id))
        self.handled_button.setEnabled(bool(item and item.handled_at is None))
        if item is None:
            self.detail.setText("")
            return
        who = item.client_name or "An unknown number (no client has it on file)"
        verb = "From" if item.kind == "reply" else "To"
        lines = [f"{who} · {verb} {item.from_or_to} · {channel_label(item.channel)} · {format_datetime(item.at)}",
                 f"“{item.text}”" if item.text else "", item.reason]
        if item.handled_at is not None:
            lines.append(f"Handled {format_datetime(item.handled_at)}")
        self.detail.setText("\n".join(line for line in lines if line))

    def open_selected(self) -> None:
        """Enter or a double-click: the appointment when the message is about one, else the chart."""
        item = self.selected()
        if item and item.appointment_id:
            self.open_appointment()
        elif item and item.client_id:
            self.open_chart()

    def open_chart(self) -> None:
        item = self.selected()
        if item and item.client_id:
            self.sig_open_client.emit(item.client_id)

    def open_appointment(self) -> None:
        item = self.selected()
        if item and item.appointment_id:
            self.sig_open_appointment.emit(item.appointment_id)

    def mark_handled(self) -> Task | None:
        item = self.selected()
        if item is None or item.handled_at is not None:
            return None
        service = self.service
        self.handled_button.setEnabled(False)

        def done(_r: object) -> None:
            self.message.show_ok("Marked handled. It stays in the client's reminder history.")
            self.reload()

        def failed(exc: BaseException) -> None:
            self._selection_changed()
            self.message.show_exception(exc)

        return run_in_background(self, lambda: service.mark_handled(item.id), on_done=done, on_error=failed)
