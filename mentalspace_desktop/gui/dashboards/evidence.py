"""The records behind a figure: what was counted for one clinician, or how each clinician adds up."""

from __future__ import annotations

import re
from datetime import date
from html import escape
from typing import Any

from mentalspace_desktop.domain.metric_rules import Contribution
from mentalspace_desktop.domain.metrics import MetricDefinition, Period
from mentalspace_desktop.gui.localtime import format_date
from mentalspace_desktop.gui.qt import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    Qt,
    QTableView,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.rows_model import RowsModel
from mentalspace_desktop.gui.widgets.forms import empty_state
from mentalspace_desktop.services.dashboards import ClinicianRow

_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def practice_dates(text: str) -> str:
    """A record's words with every ISO date ("2026-11-03", as the metric rules name records) in the
    practice's date format, so the list reads like every other screen."""
    def local(match: re.Match[str]) -> str:
        try:
            return format_date(date(int(match[1]), int(match[2]), int(match[3])))
        except ValueError:
            return match[0]

    return _ISO_DATE.sub(local, text)


def _count(x: float) -> str:
    return f"{x:g}" if float(x).is_integer() else f"{x:.2f}"


class EvidenceModel(RowsModel[Contribution]):
    headers = ("Record", "Counts toward", "Adds")

    def __init__(self, definition: MetricDefinition, parent: Any = None) -> None:
        super().__init__(parent)
        self.definition = definition

    def cell(self, row: Contribution, column: int, role: int) -> Any:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            if column == 0:
                return practice_dates(row.label)
            if column == 1:
                if self.definition.unit == "count":
                    return "the count"
                if row.denominator and row.numerator:
                    return "both parts" if self.definition.unit == "percent" else "the average"
                return "the whole only" if row.denominator else "the part"
            return _count(row.numerator) + ("" if self.definition.unit == "count" else f" of {_count(row.denominator)}")
        if role == Qt.ItemDataRole.UserRole:
            return row.record_id
        return None


class EvidenceDialog(QDialog):
    """Each record one clinician's value was counted from; double-click opens the client or note."""

    sig_open_client = Signal(str)
    """Open this client's chart."""
    sig_open_note = Signal(str)
    """Open this note."""

    def __init__(self, definition: MetricDefinition, clinician: str, period: Period, rows: list[Contribution],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"{definition.name} — what was counted")
        self.resize(720, 480)
        layout = QVBoxLayout(self)
        num = sum(r.numerator for r in rows)
        den = sum(r.denominator for r in rows)
        value = num if definition.unit == "count" else (num / den if den else None)
        intro = QLabel(f"<b>{escape(clinician)}</b>, {format_date(period.start)} – {format_date(period.end)}: "
                       f"<b>{definition.format(value)}</b><br>{escape(definition.formula)}")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.model = EvidenceModel(definition, self)
        self.model.set_rows(rows)
        self.table = QTableView()
        self.table.setAccessibleName("Records counted")
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        empty_state(self.table, "Nothing was counted for this period.")
        self.table.doubleClicked.connect(lambda i: self._open(rows[i.row()]))
        self.table.activated.connect(lambda i: self._open(rows[i.row()]))
        layout.addWidget(self.table, 1)
        hint = QLabel("Double-click a record to open it.")
        hint.setProperty("role", "hint")
        hint.setVisible(any(r.record_type in ("client", "note") for r in rows))  # what _open can open
        layout.addWidget(hint)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _open(self, row: Contribution) -> None:
        if row.record_type == "client":
            self.sig_open_client.emit(row.record_id)
        elif row.record_type == "note":
            self.sig_open_note.emit(row.record_id)
        else:
            return
        self.accept()


class BreakdownModel(RowsModel[ClinicianRow]):
    headers = ("Clinician", "Value", "Counted")

    def __init__(self, definition: MetricDefinition, parent: Any = None) -> None:
        super().__init__(parent)
        self.definition = definition

    def cell(self, row: ClinicianRow, column: int, role: int) -> Any:
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return row.id if role == Qt.ItemDataRole.UserRole else None
        value = row.values.get(self.definition.id)
        if column == 0:
            return row.name
        if column == 1:
            return self.definition.format(None if value is None else value.value)
        if value is None:
            return "nothing"
        return _count(value.numerator) if self.definition.unit == "count" else \
            f"{_count(value.numerator)} of {_count(value.denominator)}"


class ClinicianBreakdownDialog(QDialog):
    """A team or practice figure, clinician by clinician; choosing one lists their records."""

    sig_chosen = Signal(str)
    """The clinician whose records to list."""

    def __init__(self, definition: MetricDefinition, rows: list[ClinicianRow], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"{definition.name} by clinician")
        self.resize(560, 420)
        layout = QVBoxLayout(self)
        intro = QLabel(f"<b>{escape(definition.name)}</b> by clinician<br>{escape(definition.formula)}")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        hint = QLabel("Double-click a clinician to see the records counted.")
        hint.setProperty("role", "hint")
        self.model = BreakdownModel(definition, self)
        self.model.set_rows(rows)
        table = QTableView()
        table.setAccessibleName("Clinicians")
        table.setModel(self.model)
        table.verticalHeader().hide()
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        table.doubleClicked.connect(lambda i: self._choose(rows[i.row()].id))
        table.activated.connect(lambda i: self._choose(rows[i.row()].id))
        layout.addWidget(table, 1)
        layout.addWidget(hint)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _choose(self, clinician_id: str) -> None:
        self.accept()
        self.sig_chosen.emit(clinician_id)
