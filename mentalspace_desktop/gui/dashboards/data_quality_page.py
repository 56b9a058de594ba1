"""The Data quality screen: records to correct, each opening the screen that corrects it.

Appointments still "scheduled" a day after they ended open the client's appointments; notes tied to
no appointment open the note; incomplete demographics open the client's details. A filter narrows to
one rule; the counts per rule sit above the list (services/data_quality.py).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from mentalspace_desktop.gui.bridge import EventBridge
from mentalspace_desktop.gui.dashboards.widgets import record_table
from mentalspace_desktop.gui.localtime import format_date, format_datetime, to_local
from mentalspace_desktop.gui.qt import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QShowEvent,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.rows_model import RowsModel
from mentalspace_desktop.gui.widgets.forms import MessageLabel, empty_state, page_header
from mentalspace_desktop.gui.workers import Task, run_in_background
from mentalspace_desktop.services import data_quality
from mentalspace_desktop.services.data_quality import FIXES, KIND_LABELS, DataFinding, DataQuality, Kind
from mentalspace_desktop.services.session import UserSession


def _when(value: datetime | date | None) -> str:
    if isinstance(value, datetime):
        return format_datetime(value)
    return format_date(value)


class FindingsModel(RowsModel[DataFinding]):
    headers = ("Finding", "Client", "Clinician", "When", "Detail")

    def cell(self, row: DataFinding, column: int, role: int) -> Any:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return (row.label, row.client, row.clinician, _when(row.when), row.detail)[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            return FIXES[row.kind]
        return None


class DataQualityPage(QWidget):
    sig_open_note = Signal(str)
    """Open this note."""
    sig_open_client = Signal(str, str)
    """Open this client's chart at a section (details, appointments)."""
    sig_loaded = Signal()
    """The list on screen is the latest."""

    def __init__(self, session: UserSession, bridge: EventBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.result: DataQuality | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(28, 22, 28, 16)
        outer.setSpacing(10)
        outer.addWidget(page_header(
            "Data quality", "Records that are probably wrong or incomplete. Each one opens where it is corrected."))
        row = QHBoxLayout()
        caption = QLabel("&Show")
        self.kind_box = QComboBox()
        self.kind_box.setAccessibleName("Show")
        caption.setBuddy(self.kind_box)
        self.kind_box.addItem("Every finding", None)
        for kind in Kind:
            self.kind_box.addItem(KIND_LABELS[kind], kind.value)  # plain text: what Qt hands back
        self.kind_box.currentIndexChanged.connect(lambda _i: self._fill())
        self.counts = QLabel("")
        self.counts.setProperty("role", "hint")
        self.counts.setWordWrap(True)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setAccessibleName("Check the records again")
        self.refresh_button.clicked.connect(self.reload)
        row.addWidget(caption)
        row.addWidget(self.kind_box)
        row.addWidget(self.counts, 1)
        row.addWidget(self.refresh_button)
        outer.addLayout(row)
        self.message = MessageLabel()
        outer.addWidget(self.message)
        self.model = FindingsModel(self)
        self.table = record_table("Data-quality findings", self.model, stretch=4)
        self.table.activated.connect(lambda i: self.open_finding(self.model.row(i.row())))
        self.table.doubleClicked.connect(lambda i: self.open_finding(self.model.row(i.row())))
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selection())
        empty_state(self.table, "Nothing to correct: the records are complete.")
        outer.addWidget(self.table, 1)
        actions = QHBoxLayout()
        self.fix_hint = QLabel("Enter or double-click opens the screen that corrects the selected finding.")
        self.fix_hint.setProperty("role", "hint")
        self.fix_hint.setWordWrap(True)
        self.open_button = QPushButton("&Open")
        self.open_button.setAccessibleName("Open the screen that corrects this finding")
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(self._open_selected)
        actions.addWidget(self.fix_hint, 1)
        actions.addWidget(self.open_button)
        outer.addLayout(actions)
        self.setFocusProxy(self.table)
        self._stale = True
        # A correction made elsewhere shows when this page comes back (each look is audited: it
        # names clients, so it is not re-read on every change in the background).
        bridge.sig_client_did_change.connect(self._mark_stale)
        bridge.sig_appointment_did_change.connect(self._mark_stale)
        bridge.sig_chart_did_change.connect(self._mark_stale)

    def _mark_stale(self, *_args: object) -> None:
        self._stale = True
        if self.isVisible():
            self.reload()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if self._stale:
            self.reload()

    def reload(self) -> Task:
        self._stale = False
        session, now = self.session, datetime.now().astimezone()
        self.refresh_button.setEnabled(False)
        return run_in_background(self, lambda: data_quality.find(session, now=now, today=to_local(now).date()),
                                 on_done=self._loaded, on_error=self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.refresh_button.setEnabled(True)
        self.message.show_exception(exc)

    def _loaded(self, result: DataQuality) -> None:
        self.refresh_button.setEnabled(True)
        self.message.clear_message()
        self.result = result
        parts = [f"{KIND_LABELS[k]}: {result.count(k)}" for k in Kind]
        more = " · only the first 500 of a rule are listed" if result.truncated else ""
        self.counts.setText(" · ".join(parts) + more)
        self._fill()
        self.sig_loaded.emit()

    def _fill(self) -> None:
        if self.result is None:
            return
        kind = self.kind_box.currentData()
        self.model.set_rows([f for f in self.result.findings if kind is None or f.kind.value == kind])
        if self.model.rowCount():
            self.table.selectRow(0)
        self._selection()

    def _selection(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        finding = self.model.row(rows[0].row()) if rows else None
        self.open_button.setEnabled(finding is not None)
        self.fix_hint.setText(FIXES[finding.kind] + " (Enter or double-click)" if finding else
                              "Enter or double-click opens the screen that corrects the selected finding.")

    def _open_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self.open_finding(self.model.row(rows[0].row()))

    def open_finding(self, finding: DataFinding) -> None:
        if finding.record_type == "note":
            self.sig_open_note.emit(finding.record_id)
        elif finding.client_id:
            self.sig_open_client.emit(finding.client_id, finding.section or "")
