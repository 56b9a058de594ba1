"""What every list of appointments shares (Today, the client's chart): the table's behaviour, and the
Join / Copy link / Check in buttons over its selected row.

One place decides when each button applies and what it does, so the desk's home and the chart never
drift apart (a check-in that works in one and not the other).
"""

from __future__ import annotations

from collections.abc import Callable

from mentalspace_desktop.gui.calendar.common import copy_meeting_link, open_meeting, selected_row
from mentalspace_desktop.gui.calendar.model import CalendarEntry
from mentalspace_desktop.gui.qt import QAbstractItemView, QHeaderView, QPushButton, QTableView, QWidget
from mentalspace_desktop.gui.rows_model import RowsModel
from mentalspace_desktop.gui.widgets import forms
from mentalspace_desktop.gui.workers import run_in_background

WAITING = ("scheduled", "confirmed")
"""Statuses a client can still be checked in from."""


def appointments_table(model: RowsModel[CalendarEntry], accessible_name: str, *, stretch: int = 1) -> QTableView:
    """A read-only table of appointments: whole rows, one at a time; column ``stretch`` takes the room."""
    table = QTableView()
    table.setModel(model)
    table.setAccessibleName(accessible_name)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().hide()
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return table


class AppointmentButtons:
    """Join, Copy link and Check in for the row selected in ``table``.

    ``check_in`` is the service call (run off the UI thread); ``checked_in`` hears of each success
    (to say so and reload). ``hide_links``: the link buttons disappear rather than grey out when the
    row has no meeting link (the chart, where most visits are in person).
    """

    def __init__(self, owner: QWidget, table: QTableView, model: RowsModel[CalendarEntry],
                 message: forms.MessageLabel, *, check_in: Callable[[str], object],
                 checked_in: Callable[[CalendarEntry], None], check_in_text: str = "Check &in",
                 copy_text: str = "Copy lin&k", hide_links: bool = False) -> None:
        self.owner, self.table, self.model, self.message = owner, table, model, message
        self._check_in, self._checked_in, self.hide_links = check_in, checked_in, hide_links
        self.check_in_button = forms.primary(QPushButton(check_in_text))
        self.check_in_button.setAccessibleName("Check the client in for the selected appointment")
        self.join_button = QPushButton("&Join")
        self.join_button.setAccessibleName("Join the telehealth meeting")
        self.copy_button = QPushButton(copy_text)
        self.copy_button.setAccessibleName("Copy the telehealth meeting link")
        self.check_in_button.clicked.connect(self.check_in)
        self.join_button.clicked.connect(self.join)
        self.copy_button.clicked.connect(self.copy_link)

    def selected(self) -> CalendarEntry | None:
        return selected_row(self.table, self.model)

    def update(self, *, may_check_in: Callable[[CalendarEntry], bool] | None = None) -> None:
        """Enable what applies to the selected row; ``may_check_in`` narrows check-in further
        (the chart: only today's visits)."""
        e = self.selected()
        waiting = e is not None and e.editable and e.status in WAITING and (may_check_in is None or may_check_in(e))
        self.check_in_button.setEnabled(waiting)
        link = e is not None and e.telehealth and bool(e.join_url)
        for button in (self.join_button, self.copy_button):
            if self.hide_links:
                button.setVisible(link)
            else:
                button.setEnabled(link)

    def check_in(self) -> None:
        e = self.selected()
        if e is None:
            return
        if e.status not in WAITING:
            self.message.show_hint(f"{e.title} is {e.status_label().lower()}: nothing to check in.")
            return
        run_in_background(self.owner, lambda: self._check_in(e.id), on_done=lambda _r: self._checked_in(e),
                          on_error=self.message.show_exception)

    def join(self) -> None:
        e = self.selected()
        open_meeting(e.join_url if e else "")

    def copy_link(self) -> None:
        e = self.selected()
        copy_meeting_link(e.join_url if e else "", self.message)
