"""Export a client's chart (all signed records, or those of a date range) to a PDF: the chart's face
of ``mentalspace chart export``. The file is written off the UI thread; the dialog says how many
records and pages it holds, and where."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from mentalspace_desktop.gui.clients.common import muted
from mentalspace_desktop.gui.qt import (
    QCheckBox,
    QDate,
    QDateEdit,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.widgets.forms import MessageLabel, button_row, primary
from mentalspace_desktop.gui.workers import run_in_background
from mentalspace_desktop.services.charting.export import ChartExportService, ExportResult
from mentalspace_desktop.services.session import UserSession


def file_slug(name: str) -> str:
    """A client's name as part of a file name: "Rivera, Sam" -> "rivera-sam"."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "client"


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _day(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


class ChartExportDialog(QDialog):
    sig_exported = Signal(object)
    """The PDF was written: the ``ExportResult``."""

    def __init__(self, session: UserSession, client_id: str, client_name: str, *, today: date | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session, self.client_id = session, client_id
        today = today or date.today()
        self.setWindowTitle(f"Export chart as PDF — {client_name}")
        self.setAccessibleName("Export chart as PDF")
        self.setMinimumWidth(620)
        layout = QVBoxLayout(self)
        title = QLabel(f"Export the chart of {client_name}")
        title.setStyleSheet("font-size: 16px; font-weight: 600;")
        layout.addWidget(title)
        about = muted(QLabel("Signed notes with their addenda and signed treatment plans, with the practice "
                             "header, the client's identifiers, each signature and its content hash. Drafts "
                             "are never exported."))
        about.setWordWrap(True)
        layout.addWidget(about)
        form = QFormLayout()
        self.everything = QCheckBox("All dates", self)
        self.everything.setAccessibleName("Export records of all dates")
        self.everything.setChecked(True)
        self.since = QDateEdit(_qdate(today.replace(month=1, day=1)), self)
        self.until = QDateEdit(_qdate(today), self)
        for edit, name in ((self.since, "From date of service"), (self.until, "Until date of service")):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("MM/dd/yyyy")
            edit.setAccessibleName(name)
        span = QHBoxLayout()
        span.addWidget(self.since)
        to = QLabel("&to", self)
        to.setBuddy(self.until)
        span.addWidget(to)
        span.addWidget(self.until)
        span.addStretch(1)
        form.addRow("Records:", self.everything)
        from_label = QLabel("&From", self)
        from_label.setBuddy(self.since)
        form.addRow(from_label, span)
        self.path = QLineEdit(str(Path.home() / f"chart-{file_slug(client_name)}.pdf"), self)
        self.path.setAccessibleName("PDF file to write")
        browse = QPushButton("&Browse…", self)
        browse.setAccessibleName("Choose where to save the PDF")
        where = QHBoxLayout()
        where.addWidget(self.path, 1)
        where.addWidget(browse)
        file_label = QLabel("&Save as", self)
        file_label.setBuddy(self.path)
        form.addRow(file_label, where)
        layout.addLayout(form)
        self.message = MessageLabel(self)
        layout.addWidget(self.message)
        self.export_button = primary(QPushButton("&Export PDF", self))
        close = QPushButton("Close", self)
        layout.addLayout(button_row(self.export_button, close))
        self.everything.toggled.connect(self._span_changed)
        browse.clicked.connect(self._browse)
        self.export_button.clicked.connect(self.export)
        close.clicked.connect(self.reject)
        self._span_changed(True)

    def _span_changed(self, everything: bool) -> None:
        self.since.setEnabled(not everything)
        self.until.setEnabled(not everything)

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export chart as PDF", self.path.text(), "PDF (*.pdf)")
        if path:
            self.path.setText(path if path.lower().endswith(".pdf") else path + ".pdf")

    def span(self) -> tuple[date | None, date | None]:
        if self.everything.isChecked():
            return None, None
        return _day(self.since.date()), _day(self.until.date())

    def export(self) -> None:
        text = self.path.text().strip()
        if not text:
            self.message.show_error("Choose where to save the PDF.")
            return
        out = Path(text).expanduser()
        if not out.parent.is_dir():
            self.message.show_error(f"The folder {out.parent} does not exist.")
            return
        since, until = self.span()
        session, client_id = self.session, self.client_id
        self.export_button.setEnabled(False)
        self.message.show_hint("Writing the PDF…")
        run_in_background(self, lambda: ChartExportService(session).export_range(client_id, out, since=since,
                                                                                 until=until),
                          on_done=self._done, on_error=self._failed)

    def _done(self, result: ExportResult) -> None:
        self.export_button.setEnabled(True)
        records = "record" if result.records == 1 else "records"
        pages = "page" if result.pages == 1 else "pages"
        self.message.show_ok(f"Saved {result.records} {records} on {result.pages} {pages} to {result.path}.")
        self.sig_exported.emit(result)

    def _failed(self, exc: BaseException) -> None:
        self.export_button.setEnabled(True)
        self.message.show_exception(exc)
