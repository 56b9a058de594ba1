"""Client search results as a Qt table model, and the controller that keeps it in step with typing.

The model owns the row logic (what each column says, sort keys, the id behind a row); the controller
owns timing: it waits for a pause in typing, runs the query off the UI thread, and drops answers to
questions nobody is asking any more.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from enum import IntEnum
from typing import Any

from mentalspace_desktop.domain.clients import age_on
from mentalspace_desktop.gui import theme
from mentalspace_desktop.gui.clients.common import format_date
from mentalspace_desktop.gui.qt import (
    QObject,
    Qt,
    QTimer,
    Signal,
)
from mentalspace_desktop.gui.rows_model import RowsModel
from mentalspace_desktop.gui.workers import run_in_background
from mentalspace_desktop.services.clients import ClientService, ClientSummary

DEBOUNCE_MS = 150
CLIENT_ID_ROLE = Qt.ItemDataRole.UserRole + 1
STATUS_WORDS = {"active": "Active", "inactive": "Inactive", "discharged": "Discharged"}
STATUS_EXPLAINED = {  # why a grey row is grey
    "active": "In care.",
    "inactive": "Inactive: not in care at the moment; the chart stays on file.",
    "discharged": "Discharged: no longer in care; the chart is kept on file.",
}



class Column(IntEnum):
    NAME = 0
    DOB = 1
    PHONE = 2
    CHART = 3
    STATUS = 4
    CLINICIAN = 5


HEADERS = {
    Column.NAME: "Name",
    Column.DOB: "Date of birth",
    Column.PHONE: "Phone",
    Column.CHART: "Chart #",
    Column.STATUS: "Status",
    Column.CLINICIAN: "Clinician",
}


class ClientResultsModel(RowsModel[ClientSummary]):
    """Rows of :class:`ClientSummary`; the id of each row is under :data:`CLIENT_ID_ROLE`."""

    headers = tuple(HEADERS[c] for c in Column)

    def __init__(self, parent: QObject | None = None, *, today: Callable[[], date] = date.today) -> None:
        super().__init__(parent)
        self._today = today
        self.with_age = True
        self.status_in_name = False  # the narrow list has no Status column: "Name (discharged)"

    def set_results(self, rows: list[ClientSummary]) -> None:
        self.set_rows(rows)

    def clear(self) -> None:
        self.set_rows([])

    def summary(self, row: int) -> ClientSummary:
        return self.row(row)

    def client_ids(self) -> list[str]:
        return [r.id for r in self._rows]

    def cell(self, row: ClientSummary, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, Column(column))
        if role == CLIENT_ID_ROLE:
            return row.id
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            status = STATUS_EXPLAINED.get(row.status, STATUS_WORDS.get(row.status, row.status))
            phone = f", phone {row.phone}" if row.phone else ""
            born = f"born {format_date(row.dob)} (age {age_on(row.dob, self._today())})"
            return (f"{row.display_name}, {born}, chart {row.chart_number}{phone}, "
                    f"clinician {row.clinician_name or 'not assigned'}. {status}")
        if role == Qt.ItemDataRole.ForegroundRole and row.status != "active":
            return theme.colour("muted")
        return None

    def _text(self, row: ClientSummary, column: Column) -> str:
        if column is Column.NAME:
            if self.status_in_name and row.status != "active":
                return f"{row.display_name} ({STATUS_WORDS.get(row.status, row.status).lower()})"
            return row.display_name
        if column is Column.DOB:
            if not self.with_age:  # the narrow list: the name needs the room, the age is in the tooltip
                return format_date(row.dob)
            return f"{format_date(row.dob)} ({age_on(row.dob, self._today())})"
        if column is Column.PHONE:
            return row.phone
        if column is Column.CHART:
            return row.chart_number
        if column is Column.STATUS:
            return STATUS_WORDS.get(row.status, row.status.title())
        return row.clinician_name or "Unassigned"


class SearchController(QObject):
    """Debounces the query text, searches in the background, and fills the model with fresh answers only."""

    sig_results_ready = Signal(str)
    """The model now holds the answer to this query text (possibly no rows)."""
    sig_failed = Signal(object)
    """The search raised this exception; the model keeps its previous rows."""

    def __init__(
        self, service: ClientService, model: ClientResultsModel, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._service = service
        self.model = model
        self._text = ""
        self._seq = 0
        self._inflight = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._run)
        self.list_kind = ""  # what an empty query shows: "caseload" or "recent" (services.clients)

    @property
    def text(self) -> str:
        return self._text

    @property
    def pending(self) -> bool:
        """Whether a search is waiting for typing to pause or for its answer."""
        return self._timer.isActive() or self._inflight

    def set_text(self, text: str) -> None:
        """Note new query text; the search runs once typing pauses."""
        self._text = text
        self._seq += 1  # anything already running now answers an old question
        self._timer.start()

    def refresh(self) -> None:
        """Run the current query again now (a record it may show has changed)."""
        self._timer.stop()
        self._run()

    def _run(self) -> None:
        self._seq += 1
        seq, text = self._seq, self._text
        service = self._service
        self._inflight = True
        if not text.strip():
            run_in_background(
                self,
                service.starting_list,
                on_done=lambda answer: self._starting(seq, text, answer),
                on_error=lambda exc: self._fail(seq, exc),
            )
            return
        run_in_background(
            self,
            lambda: service.search(text),
            on_done=lambda rows: self._answer(seq, text, rows),
            on_error=lambda exc: self._fail(seq, exc),
        )

    def _starting(self, seq: int, text: str, answer: tuple[str, list[ClientSummary]]) -> None:
        self.list_kind = answer[0]
        self._answer(seq, text, answer[1])

    def _answer(self, seq: int, text: str, rows: list[ClientSummary]) -> None:
        if seq != self._seq:
            return  # a newer query was typed meanwhile
        self._inflight = False
        self.model.set_results(rows)
        self.sig_results_ready.emit(text)

    def _fail(self, seq: int, exc: BaseException) -> None:
        if seq != self._seq:
            return
        self._inflight = False
        self.sig_failed.emit(exc)
