"""Table models of the charting screens (row wording lives here, widgets only present it)."""

from __future__ import annotations

from typing import Any

from mentalspace_desktop.domain.charting.lifecycle import DEADLINE_DAYS, Timeliness
from mentalspace_desktop.gui.clients.common import error_color, format_date, warning_color
from mentalspace_desktop.gui.localtime import to_local
from mentalspace_desktop.gui.qt import QAbstractItemView, QColor, QHeaderView, Qt, QTableView
from mentalspace_desktop.gui.rows_model import RowsModel
from mentalspace_desktop.gui.widgets.forms import empty_state
from mentalspace_desktop.services.charting.notes import DueSession, NoteLine, VersionInfo

_AGE_TONE = {Timeliness.OVERDUE: error_color, Timeliness.DUE_SOON: warning_color}


class NoteLinesModel(RowsModel[NoteLine]):
    """Notes in a list: client, type, date of service, status, and age against the 7-day rule."""

    headers: tuple[str, ...] = ("Client", "Note", "Date of service", "Status", "Age (7-day rule)", "Clinician")

    def __init__(self, *args: Any, show_client: bool = True, **kwargs: Any) -> None:
        """``show_client`` False: one client's notes (the chart), where the age is said briefly so every
        column fits beside the client list; the whole wording is its tooltip."""
        super().__init__(*args, **kwargs)
        if not show_client:
            self.headers = self.headers[1:]
        self._offset = 0 if show_client else 1

    def _age(self, n: NoteLine) -> str:
        if not n.age_label or self._offset == 0:
            return n.age_label or "—"
        if n.timeliness is Timeliness.OVERDUE:
            return f"{n.age_days} days ({n.age_days - DEADLINE_DAYS} late)"
        return f"{n.age_days} of 7 days"

    def cell(self, n: NoteLine, column: int, role: int) -> Any:
        column += self._offset
        if role == Qt.ItemDataRole.DisplayRole:
            return (n.client_name, n.type_name, format_date(n.service_date), n.status.label,
                    self._age(n), n.author_name)[column]
        if role == Qt.ItemDataRole.ToolTipRole and column == 4 and self._offset and n.age_label:
            return n.age_label + (". Notes are due within 7 days of the session."
                                  if n.timeliness is Timeliness.OVERDUE else "")
        if role == Qt.ItemDataRole.ToolTipRole and column == 1 and not (n.has_appointment or n.is_addendum):
            return "Not linked to an appointment"
        if role == Qt.ItemDataRole.ForegroundRole and column == 4 and n.timeliness in _AGE_TONE:
            return QColor(_AGE_TONE[n.timeliness]())
        if role == Qt.ItemDataRole.ToolTipRole and column == 4 and n.timeliness is Timeliness.OVERDUE:
            return "Notes are due within 7 days of the session."
        if role == Qt.ItemDataRole.UserRole:
            return n.id
        return None


class VersionsModel(RowsModel[VersionInfo]):
    headers = ("Version", "Saved", "By", "How")
    _HOW = {"autosave": "Autosaved", "save": "Saved", "sign": "Signed"}

    def cell(self, v: VersionInfo, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return (str(v.number), to_local(v.saved_at).strftime("%m/%d/%Y %I:%M %p"), v.saved_by,
                    self._HOW.get(v.reason, v.reason))[column]
        return None


def note_table(name: str, model: RowsModel[Any], *, multi: bool = False, empty: str = "No notes.") -> QTableView:
    """A read-only list of notes: whole rows, sized on the first rows only (a chart lists hundreds)."""
    view = QTableView()
    view.setAccessibleName(name)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection if multi
                          else QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setShowGrid(False)
    view.verticalHeader().hide()
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    header.setResizeContentsPrecision(200)
    empty_state(view, empty)
    return view


class DueSessionsModel(RowsModel[DueSession]):
    """Sessions held without a note yet: client, type, date, and age against the 7-day rule."""

    headers = ("Client", "Session", "Date of service", "Age (7-day rule)")

    def cell(self, d: DueSession, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return (d.client_name, d.type_name, format_date(d.service_date), d.age_label)[column]
        if role == Qt.ItemDataRole.ToolTipRole and column == 3 and d.timeliness is Timeliness.OVERDUE:
            return "Notes are due within 7 days of the session."
        if role == Qt.ItemDataRole.ForegroundRole and column == 3 and d.timeliness in _AGE_TONE:
            return QColor(_AGE_TONE[d.timeliness]())
        if role == Qt.ItemDataRole.UserRole:
            return d.id
        return None
